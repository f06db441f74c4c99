// Long tools (trovestack, docker build) print megabytes. @pulumi/command keeps everything a command prints in the
// state and passes it back to the next run's environment, so our scripts send that output whole to a log file and
// print only a bounded progress tail, which Pulumi still shows while the tool runs.

/** Seconds between two progress lines of a long build, and how many progress lines a build prints at most. @internal */
export const PROGRESS_EVERY_SECONDS = 15;
/** @internal */
export const PROGRESS_MAX_LINES = 240;

/**
 * A shell filter that passes a long tool's output to its log file whole, and to stderr as progress: the first line,
 * then at most one line every {@link PROGRESS_EVERY_SECONDS} seconds, each cut to 200 characters, at most
 * {@link PROGRESS_MAX_LINES} lines. What @pulumi/command keeps in the state (everything the command prints) is thus
 * bounded however long or chatty the build is. Usage: `tool 2>&1 | progress_filter "$log" <label>`. Reads all its
 * input, so the tool never dies of a closed pipe. awk's `srand()` returns the previous seed, which the call before set
 * to the time of day (POSIX, and so in gawk, mawk and busybox awk).
 * @internal
 */
export const PROGRESS_FILTER = [
  "progress_filter() {",
  '  tee -- "$1" | awk -v label="$2" -v every=' + PROGRESS_EVERY_SECONDS + " -v max=" + PROGRESS_MAX_LINES + " '",
  "    { srand(); now = srand() }",
  "    shown < max && (shown == 0 || now - last >= every) {",
  '      print label ": " substr($0, 1, 200); shown++; last = now',
  '      if (shown == max) print label ": (no more progress lines; the log file has everything)"',
  "      fflush()",
  "    }",
  "  ' >&2",
  "}",
].join("\n");
