#!/usr/bin/env bash
# The gradient conformance suite on the WebGPU backend, in Node, without a GPU: Dawn (npm
# `webgpu`) on Mesa's lavapipe software Vulkan driver. Installs what it needs, as a user would:
# Mesa >= 25 from the release's backports suite on the machine's configured Debian mirror
# (Debian 12's own Mesa 22 is refused by Dawn), and the
# packed @metarl/core (and @metarl/envs) with the optional WebGPU peers in a scratch project.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
WEBGPU_VERSION=0.6.2

# The URI of the first enabled apt source whose suites include exactly "$1" (e.g. bookworm).
release_mirror() {
  local release="$1" file
  for file in /etc/apt/sources.list.d/*.sources; do
    [ -f "$file" ] || continue
    awk -v release="$release" '
      /^[[:space:]]*$/ { if (uri != "" && hit && deb) { print uri; exit } uri = ""; hit = 0; deb = 0; next }
      /^URIs:/ { uri = $2 }
      /^Types:/ { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == release) hit = 1 }
      END { if (uri != "" && hit && deb) print uri }
    ' "$file"
  done | head -n 1 | grep . && return
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$file" ] || continue
    awk -v release="$release" '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^\[/) continue; else { uri = $i; suite = $(i + 1); break } if (suite == release) { print uri; exit } }' "$file"
  done | head -n 1
}

mesa_major() { dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | cut -d. -f1; }
if [ "$(mesa_major || true)" != "" ] && [ "$(mesa_major)" -ge 25 ] 2>/dev/null; then
  echo "Mesa $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers) present"
else
  if [ "$(id -u)" != "0" ]; then
    echo "conformance-webgpu: needs Mesa >= 25 (mesa-vulkan-drivers from the release's backports suite); run as root or install it first" >&2
    exit 1
  fi
  # The backports suite comes from the same mirror as the machine's own Debian release: the first
  # configured source (deb822 `.sources` or one-line `.list`) that serves this release's suite.
  codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
  mirror="$(release_mirror "$codename")"
  if [ -z "$codename" ] || [ -z "$mirror" ]; then
    echo "conformance-webgpu: no configured apt source serves Debian '${codename:-unknown}'; add ${codename:-<release>}-backports yourself and install mesa-vulkan-drivers >= 25" >&2
    exit 1
  fi
  printf 'Types: deb\nURIs: %s\nSuites: %s-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$mirror" "$codename" > /etc/apt/sources.list.d/metarl-backports.sources
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t "${codename}-backports" mesa-vulkan-drivers > /dev/null
fi

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for package in envs core; do
  (cd "$root/packages/$package" && npx -y pnpm@10.34.9 pack --pack-destination "$scratch" > /dev/null)
done
cd "$scratch"
npm init -y > /dev/null
npm install --no-audit --no-fund --loglevel=error ./metarl-envs-*.tgz ./metarl-core-*.tgz @tensorflow/tfjs-core@4.22.0 \
  @tensorflow/tfjs-backend-webgpu@4.22.0 "webgpu@${WEBGPU_VERSION}"
cat > conformance.mjs <<'PROGRAM'
import { useBackend } from '@metarl/core';
import { formatConformanceReport, runConformanceSuite } from '@metarl/core/testing';
const info = await useBackend('webgpu');
const report = await runConformanceSuite();
console.log(formatConformanceReport(report));
console.log(`webgpu conformance: ${report.results.filter((r) => r.passed).length} passed, ${report.results.filter((r) => !r.passed).length} failed (${info.name})`);
process.exit(report.passed ? 0 : 1);
PROGRAM
# Dawn warns about reduced limits on lavapipe; keep the report readable.
node conformance.mjs 2> >(grep -v 'artificially reduced' >&2)
