# test/lib/as_root.sh: as_root CMD...: run CMD as root, the one place the set-up escalates.
# As root (a bare Debian box has no sudo) it runs CMD as it is; as a user, through sudo;
# with neither, it says what to do instead of failing on "sudo: command not found".
as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		echo "this step needs root: run it as root, or install sudo (apt-get install sudo as root)" >&2
		return 1
	fi
}
