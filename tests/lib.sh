# Sourced by the shell tests.

# A tool or library a check needs is not installed: say so and go on without the check, except
# under CI=true, where `make` has installed every test package, so its absence is a failure.
skip_missing() { # what
    echo "skip: $1 not installed"
    if [ "${CI:-}" = true ]; then
        echo "FAIL: $1 is missing under CI (make installs it)"
        exit 1
    fi
}
