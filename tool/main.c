/* `ebb`: the command-line tool. main() only dispatches to a subcommand; each lives in its own
 * file of tool/ and returns the exit status. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "watch_files.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"demo", ebb_cmd_demo, "grow a map, delete 90%, clear; show memory ebbing (ebb demo --help)"},
    {"watch", ebb_cmd_watch,
     "watch a process's memory: levels, leak rate, time left (ebb watch --help)"},
    {"check", ebb_cmd_check,
     "one memory health check, exit 0/1 for liveness probes (ebb check --help)"},
};

static void usage(FILE *out) {
    fprintf(out, "usage: ebb COMMAND [ARGS...]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'ebb COMMAND --help' describes one command.\n");
}

int ebb_tool_finish_stdout(const char *who, int status) {
    int lost = ebb_stdout_status(who, 0) != 0; /* says so on stderr */
    return lost && status == 0 ? 1 : status;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return ebb_tool_finish_stdout("ebb", 0);
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "ebb: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
