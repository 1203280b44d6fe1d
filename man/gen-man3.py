# SPDX-License-Identifier: GPL-2.0-only
# man/gen-man3.py: (re)generate man/man3 from the comments and prototypes in
# include/libipc.h and libipc-uring.h, grouped as man/man3-groups lists
# (page, functions | title); versions come from lib/libipc.map.
import re,os,sys
os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
src=open('include/libipc.h').read()+"\n"+open('include/libipc-uring.h').read()
lines=src.split('\n')
# version node per symbol
ver={}; node=None
for l in open('lib/libipc.map'):
    m=re.match(r'(KIPC_[0-9.]+)\s*\{',l)
    if m: node=m.group(1)[5:]
    m=re.match(r'\s*(kipc_\w+);',l)
    if m: ver[m.group(1)]=node
# prototypes and the comment above each
protos={}; comments={}; allc=[]
i=0; lastcomment=''; 
while i<len(lines):
    l=lines[i]
    if l.strip().startswith('/*'):
        buf=[l]
        while '*/' not in lines[i]:
            i+=1; buf.append(lines[i])
        txt=' '.join(re.sub(r'^\s*/?\*+/?\s?','',x).replace('*/','') for x in buf)
        lastcomment=re.sub(r'\s+',' ',txt).strip(); allc.append(lastcomment); i+=1; continue
    m=re.match(r'^(static inline )?[\w ]+?[\s*]+(kipc_\w+)\(',l)
    if m:
        p=[l]
        while not re.search(r'[;{]\s*$',p[-1]) and not p[-1].rstrip().endswith(')'):
            i+=1; p.append(lines[i])
        proto=re.sub(r'\s+',' ',' '.join(p)).strip().rstrip('{').strip()
        if not proto.endswith(';'): proto+=';'
        proto=proto.replace('static inline ','')
        name=m.group(2)
        protos.setdefault(name,proto); comments.setdefault(name,lastcomment)
    elif l.strip()=='' : pass
    i+=1
def esc(s): return re.sub(r'@(\w+)',r'\\fI\1\\fP',s.replace('\\','\\e').replace('-','\\-'))
groups=[l.split() for l in open('man/man3-groups').read().strip().split('\n')]
seen=set()
for g in groups:
    page=g[0]; title=' '.join(g[1:]).split('|')[1].strip(); funcs=' '.join(g[1:]).split('|')[0].split()
    hdr='libipc-uring.h' if any('uring' in f or f.startswith('kipc_prep') for f in funcs) else 'libipc.h'
    out=['.\\" SPDX-License-Identifier: GPL-2.0-only',
         '.TH %s 3 2026-12-03 "libipc" "libipc Manual"'%page.upper().replace('_','_'),
         '.SH NAME', ', '.join('\\fB'+f+'\\fP' if False else f for f in funcs).replace('_','_')+' \\- '+title,
         '.SH SYNOPSIS','.nf','.B #include <%s>'%hdr,'.PP']
    for f in funcs:
        if f not in protos: sys.exit('no proto '+f)
        out.append('.BI "'+protos[f].replace('"','\\(dq')+'"')
    out.append('.fi')
    out.append('.SH DESCRIPTION')
    cs=[]
    for f in funcs:
        c=comments[f]
        if c and c not in cs: cs.append(c)
    if page.startswith('kipc_channel_'):
        cs+= [c for c in allc if 'Deadlines are CLOCK_MONOTONIC' in c and c not in cs]
    if any('struct kipc_sync *' in protos[f] for f in funcs) and page!='kipc_sync_create':
        cs.append(comments['kipc_sync_create'])
    for c in cs:
        # split out "-EXXX text" lists
        for line in re.split(r'(?=\s-E[A-Z]+\s)',c):
            pass
        out.append(esc(c)); out.append('.PP')
    if out[-1]=='.PP': out.pop()
    out.append('.SH RETURN VALUE')
    out.append('On success these functions return 0 or the non\\-negative value described above; on failure they return a negative errno value (as liburing does; \\fIerrno\\fP is not set). Functions declared \\fBvoid\\fP, or returning a size, cannot fail.')
    es=sorted(set(re.findall(r'-E[A-Z]+',' '.join(cs))))
    if es:
        out.append('.SH ERRORS')
        out.append('Each errno below is given with the header text that documents when it is returned:')
        for e in es:
            out.append('.TP'); out.append('.B '+e[1:])
            sents=[x.strip() for c in cs for x in re.split(r'(?<=[.;])\s+(?=[A-Za-z(-])',c) if re.search(re.escape(e)+r'\b',x)]
            pieces=[]
            for x in sents:
                if len(re.findall(r'-E[A-Z]+',x))>1:
                    pieces+=[y.strip().rstrip(',') for y in re.split(r'\s(?=-E[A-Z]+\b)',x) if re.match(re.escape(e)+r'\b',y.strip())] or [x]
                else: pieces.append(x)
            out.append(esc(' '.join(dict.fromkeys(pieces))))
    vs=sorted(set(ver[f] for f in funcs if f in ver))
    out.append('.SH VERSIONS')
    nv=[f for f in funcs if f not in ver]
    out.append(' '.join('%s since libipc %s.'%(', '.join('\\fB'+f+'\\fP()' for f in funcs if ver.get(f)==v),v) for v in vs) or '')
    if nv: out.append('.PP\n'+', '.join('\\fB'+f+'\\fP()' for f in nv)+' %s inline in the header, not exported symbols.'%('are' if len(nv)>1 else 'is'))
    out.append('.SH SEE ALSO')
    rel={'kipc_sync_create':['kipc_wait_any','kipc_sync_watch'],'kipc_channel_create':['kipc_channel_put','kipc_channel_put_claim','kipc_channel_stats'],
         'kipc_channel_put':['kipc_channel_create','kipc_channel_put_claim'],'kipc_channel_put_claim':['kipc_channel_put'],'kipc_object_info':['kipc_stat_id'],'kipc_stat_id':['kipc_object_info']}
    sa=rel.get(page,[])
    if any('struct kipc_sync *' in protos[f] for f in funcs) and page!='kipc_sync_create': sa=['kipc_sync_create']+sa
    for x in sa: out.append('.BR %s (3),'%x)
    out.append('.BR kipc (7)')
    open('man/man3/%s.3'%page,'w').write('\n'.join(out)+'\n')
    for f in funcs:
        seen.add(f)
        if f!=page: open('man/man3/%s.3'%f,'w').write('.so man3/%s.3\n'%page)
missing=[s for s in ver if s not in seen]
print('unpaged exported:',missing)
print('unpaged inline:',[p for p in protos if p not in seen])
