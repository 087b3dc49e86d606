/* The subcommands of the `ebb` tool. Each takes the arguments after its name (argv[0] is the
 * subcommand) and returns the process exit status. A new subcommand adds one line here and one
 * entry to the table in main.c. */
#ifndef EBB_TOOL_COMMANDS_H
#define EBB_TOOL_COMMANDS_H

int ebb_cmd_demo(int argc, char **argv);
int ebb_cmd_watch(int argc, char **argv);
int ebb_cmd_check(int argc, char **argv);

/* Flushes stdout and reports on stderr if anything written to it was lost (a full disk, a closed
 * pipe with SIGPIPE ignored), as ebb_stdout_status does. Returns `status`, or 1 in place of 0
 * when output was lost: a run whose report went nowhere did not succeed. */
int ebb_tool_finish_stdout(const char *who, int status);

#endif
