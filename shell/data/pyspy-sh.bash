# bash completion for pyspy-sh's command-line options
_pyspy_sh()
{
	local cur prev
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	case "$prev" in
	-p|--pid)
		COMPREPLY=($(compgen -W "$(pgrep -d ' ' -f python 2>/dev/null)" -- "$cur"))
		return ;;
	-c|--core|--exe)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	-x|--script)
		COMPREPLY=($(compgen -f -X '!*.lua' -- "$cur") $(compgen -W "record.lua hang-watch.lua report.lua slow-calls.lua" -- "$cur"))
		return ;;
	-ex|--ex|-e)
		COMPREPLY=($(compgen -W "threads bt 'bt --all' 'bt --all --json' ps info help" -- "$cur"))
		return ;;
	esac
	local i
	for ((i = 1; i < COMP_CWORD; i++)); do
		if [[ ${COMP_WORDS[i]} == -- ]]; then
			COMPREPLY=($(compgen -c -- "$cur"))
			return
		fi
	done
	COMPREPLY=($(compgen -W "-p --pid -c --core --exe -ex --ex -x --script --batch --nonblocking --subprocesses -nx --nx -h --help --version --" -- "$cur"))
}
complete -F _pyspy_sh pyspy-sh
