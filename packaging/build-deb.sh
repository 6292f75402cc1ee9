#!/usr/bin/env bash
# Builds target/debian/msp_<version>_<arch>.deb: the release binary linked to
# the system's libpq (with TLS), unixODBC and libmariadb (Debian packages
# libpq-dev, unixodbc-dev, libmariadb-dev to build; the package depends on
# their runtime libraries), its manual pages and shell completions generated
# from the command line definition, the sample configuration and the systemd
# units. Needs cargo-deb (`cargo install cargo-deb --locked`) and dpkg-dev.
# MSP_PACKAGE_PROFILE (default release: the shipped, fully optimised binary)
# picks another Cargo profile; CI uses dev, whose dependencies it has built
# already (the packaging is what CI proves, not the optimiser).
set -euo pipefail
cd "$(dirname "$0")/.."

profile=${MSP_PACKAGE_PROFILE:-release}
case "$profile" in
  dev) dir=debug ;;
  *) dir=$profile ;;
esac
cargo build --profile "$profile" --locked --no-default-features --features mysql
rm -rf target/assets
mkdir -p target/assets/completions
"target/$dir/msp" man --dir target/assets/man
for shell in bash zsh fish; do
  "target/$dir/msp" completions "$shell" > "target/assets/completions/msp.$shell"
done
# cargo-deb reads the binary named `target/release/msp` in the assets from
# the chosen profile's folder.
cargo deb --no-build --locked --profile "$profile" "$@"
