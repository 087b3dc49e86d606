/* The subcommands of the `ebb` tool. Each takes the arguments after its name (argv[0] is the
 * subcommand) and returns the process exit status. A new subcommand adds one line here and one
 * entry to the table in main.c. */
#ifndef EBB_TOOL_COMMANDS_H
#define EBB_TOOL_COMMANDS_H

int ebb_cmd_demo(int argc, char **argv);
int ebb_cmd_watch(int argc, char **argv);
int ebb_cmd_check(int argc, char **argv);

#endif
