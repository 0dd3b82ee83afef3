#!/usr/bin/env bash
# The gradient conformance suite on the WebGPU backend, in Node, without a GPU: Dawn (npm
# `webgpu`) on Mesa's lavapipe software Vulkan driver. Installs what it needs, as a user would:
# Mesa >= 25 from Debian bookworm-backports (Debian 12's Mesa 22 is refused by Dawn), and the
# packed @metarl/core (and @metarl/envs) with the optional WebGPU peers in a scratch project.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
WEBGPU_VERSION=0.6.2

mesa_major() { dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | cut -d. -f1; }
if [ "$(mesa_major || true)" != "" ] && [ "$(mesa_major)" -ge 25 ] 2>/dev/null; then
  echo "Mesa $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers) present"
else
  if [ "$(id -u)" != "0" ]; then
    echo "conformance-webgpu: needs Mesa >= 25 (mesa-vulkan-drivers from bookworm-backports); run as root or install it first" >&2
    exit 1
  fi
  echo 'deb http://deb.debian.org/debian bookworm-backports main' > /etc/apt/sources.list.d/metarl-backports.list
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers > /dev/null
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
