# Sourced by the scripts that run `go`: the machine's Go where its installer puts it
# (/usr/local/go; Debian's golang-go is too old), when PATH lacks it, as a fresh machine's root
# shell's does.
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  export PATH="/usr/local/go/bin:$PATH"
fi
