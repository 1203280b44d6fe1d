# SPDX-License-Identifier: GPL-2.0
# Helpers shared by the VM scripts. Sourced, not executed.

die() {
	echo "${0##*/}: $*" >&2
	exit 1
}

# Cache for things too big or slow to rebuild: kept outside the checkout.
kipc_cache_dir() {
	echo "${KIPC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kipc}"
}

# The Debian 6.1 kernel release to boot and build against: the running one
# when it is a 6.1 with headers installed, else the newest installed 6.1
# with headers. Other series installed beside it (6.12) are not this lane.
debian_kernel_release() {
	local r
	r=$(uname -r)
	case $r in
	6.1.*)
		if [ -d "/lib/modules/$r/build" ] && [ -e "/boot/vmlinuz-$r" ]; then
			echo "$r"
			return
		fi ;;
	esac
	r=$(find /lib/modules -mindepth 1 -maxdepth 1 -type d -name '6.1.*' -printf '%f\n' 2>/dev/null |
		while read -r v; do [ -d "/lib/modules/$v/build" ] && [ -e "/boot/vmlinuz-$v" ] && echo "$v"; done |
		sort -V | tail -1)
	[ -n "$r" ] || die "no Debian 6.1 kernel with headers installed: run make deps"
	echo "$r"
}

# The newest installed Debian kernel of series $1 (6.12 or 6.12-rt, from
# bookworm-backports: tools/deps) with its image and headers.
debian_series_release() {
	local series=$1 r
	r=$(find /lib/modules -mindepth 1 -maxdepth 1 -type d -name "${series%-rt}.*" -printf '%f\n' 2>/dev/null |
		while read -r v; do
			case $series:$v in
			*-rt:*-rt-*) ;;
			*-rt:* | *:*-rt-*) continue ;;
			esac
			[ -d "/lib/modules/$v/build" ] && [ -e "/boot/vmlinuz-$v" ] && echo "$v"
		done | sort -V | tail -1)
	[ -n "$r" ] || die "no Debian $series kernel with headers installed: run make deps"
	echo "$r"
}
