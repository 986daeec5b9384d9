#!/usr/bin/env bash
# `make docs`: DocC archives for every library target (swift-docc-plugin), written under Docs/api/.
set -euo pipefail
cd "$(dirname "$0")/.."
targets=$(swift package dump-package | python3 -c '
import json, sys
package = json.load(sys.stdin)
libraries = {t for p in package["products"] if "library" in p["type"] for t in p["targets"]}
print(" ".join(sorted(libraries)))')
mkdir -p Docs/api
for target in $targets; do
  echo "== DocC: $target"
  swift package --allow-writing-to-directory Docs/api generate-documentation \
    --target "$target" --output-path "Docs/api/$target.doccarchive"
done
echo "Documentation written to Docs/api/"
