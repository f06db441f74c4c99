# shellcheck shell=bash
# Functions shared by pulumi-trove's shell scripts. A script includes this file with the `.` line that
# internal/scripts/index.ts recognizes; the loader puts this text in place of that line, so each command resource
# runs one self-contained script.

# Included twice (a script and the script it includes, run as files), the state below is kept.
if [ -z "${_pulumi_trove_lib:-}" ]; then
  _pulumi_trove_lib=1
  _at_exit=()
  work=""
  partial=""
  _partial_dest=""
fi

# at_exit FUNCTION: runs FUNCTION when the script exits, before those registered earlier; each function once.
at_exit() {
  local f
  for f in "${_at_exit[@]}"; do [ "$f" != "$1" ] || return 0; done
  _at_exit=("$1" "${_at_exit[@]}")
  trap _run_at_exit EXIT
}
_run_at_exit() {
  local f
  for f in "${_at_exit[@]}"; do "$f" || true; done
}

# make_work: a private temporary directory in $work, removed when the script exits.
make_work() {
  if [ -z "$work" ]; then work=$(mktemp -d); fi
  at_exit _remove_work
}
_remove_work() { rm -rf -- "$work"; }

# json_line name=value… name:=json…: prints one JSON object on one line, the scripts' result. name=value gives a
# string (escaped), name:=json a number or boolean as it is. Components read it with readScriptResult.
json_line() {
  local arg key value out="" sep=""
  for arg in "$@"; do
    key=${arg%%=*}
    if [ "${key%:}" != "$key" ]; then
      key=${key%:}; value=${arg#*:=}
    else
      value=$(json_string "${arg#*=}")
    fi
    out+="$sep\"$key\":$value"; sep=","
  done
  printf '{%s}\n' "$out"
}
json_string() {
  local s=$1
  s=${s//\\/\\\\}; s=${s//\"/\\\"}; s=${s//$'\n'/\\n}; s=${s//$'\r'/\\r}; s=${s//$'\t'/\\t}
  printf '"%s"' "$s"
}

# partial_start DEST: names a hidden file beside DEST in $partial, creating DEST's directory. It is in the same
# directory, so that partial_done's mv is a rename, and keeps DEST's extension, which some tools read the format
# from. Until partial_done moves it to DEST, it is removed when the script exits: a failure never leaves a
# half-written DEST, and leaves an older DEST as it was. One partial file at a time.
partial_start() {
  local dir
  dir=$(dirname -- "$1")
  mkdir -p -- "$dir"
  _partial_dest=$1
  partial="$dir/.partial-$$-$(basename -- "$1")"
  at_exit _partial_remove
}
partial_done() {
  mv -f -- "$partial" "$_partial_dest"
  partial=""
}
_partial_remove() { if [ -n "$partial" ]; then rm -f -- "$partial"; fi; }

# write_file FILE TEXT: FILE holds TEXT and a newline, whole, or is left as it was.
write_file() {
  partial_start "$1"
  printf '%s\n' "$2" > "$partial"
  partial_done
}

# home_path PATH: PATH, with a leading literal `$HOME/` (a path in the home of the user the script runs as, known
# only where it runs) made absolute.
home_path() {
  # shellcheck disable=SC2016 # the literal text $HOME/ is what is matched
  case $1 in
    '$HOME/'*) printf '%s/%s\n' "$HOME" "${1#\$HOME/}" ;;
    *) printf '%s\n' "$1" ;;
  esac
}

# progress_filter LOG LABEL: passes a long tool's output to LOG whole, and to stderr as progress: the first line, then
# at most one line every 15 seconds, each cut to 200 characters, at most 240 lines (PROGRESS_EVERY_SECONDS and
# PROGRESS_MAX_LINES in test/support/progress.ts). @pulumi/command keeps everything a command prints in the state, so
# what it keeps is bounded however long or chatty the build is. Usage: `tool 2>&1 | progress_filter "$log" label`.
# It reads all its input, so the tool never dies of a closed pipe. awk's srand() returns the previous seed, which the
# call before set to the time of day (POSIX, and so in gawk, mawk and busybox awk).
progress_filter() {
  tee -- "$1" | awk -v label="$2" -v every=15 -v max=240 '
    { srand(); now = srand() }
    shown < max && (shown == 0 || now - last >= every) {
      print label ": " substr($0, 1, 200); shown++; last = now
      if (shown == max) print label ": (no more progress lines; the log file has everything)"
      fflush()
    }
  ' >&2
}

# require_path -d|-f PATH FIELD: stops with a message naming the component's argument PATH came from, when PATH is
# not a directory (-d) or a file (-f) here, instead of a bare "No such file or directory" from whatever used it next.
require_path() {
  local kind=$1 path=$2 field=$3 what=directory
  [ "$kind" = -f ] && what="file"
  if ! test "$kind" "$path"; then
    echo "pulumi-trove: $field: no $what $path on $(hostname)" >&2
    exit 2
  fi
}
