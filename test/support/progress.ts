// Long tools (trovestack, docker build) print megabytes. @pulumi/command keeps everything a command prints in the
// state and passes it back to the next run's environment, so our scripts send that output whole to a log file and
// print only a bounded progress tail, which Pulumi still shows while the tool runs: `progress_filter` in
// components/internal/scripts/lib.sh, whose numbers are these (test/internal/scripts.test.ts checks that they agree).

/** Seconds between two progress lines of a long build, and how many progress lines a build prints at most. */
export const PROGRESS_EVERY_SECONDS = 15;
export const PROGRESS_MAX_LINES = 240;
