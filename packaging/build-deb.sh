#!/usr/bin/env bash
# Builds target/debian/msp_<version>_<arch>.deb: the release binary linked to
# the system's libpq (with TLS), unixODBC and libmariadb (Debian packages
# libpq-dev, unixodbc-dev, libmariadb-dev to build; the package depends on
# their runtime libraries), its manual pages and shell completions generated
# from the command line definition, the sample configuration and the systemd
# units. Needs cargo-deb (`cargo install cargo-deb --locked`) and dpkg-dev.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --locked --no-default-features --features mysql
rm -rf target/assets
mkdir -p target/assets/completions
target/release/msp man --dir target/assets/man
for shell in bash zsh fish; do
  target/release/msp completions "$shell" > "target/assets/completions/msp.$shell"
done
cargo deb --no-build --locked "$@"
