#!/usr/bin/env node
// Why: the npm registry mirror these machines use only carries the Linux builds of some
// platform-specific optional packages (e.g. @unrs/resolver-binding-*, pulled in by the n8n lint
// toolchain). npm then writes a lockfile without the other platforms' entries, and `npm ci`
// refuses it ("Missing: @unrs/resolver-binding-darwin-arm64@ from lock file").
// This adds the missing entries as optional, platform-restricted packages, exactly as a lockfile
// made against the full registry would list them; npm skips them on Linux without fetching.
// Run after any `npm install` that rewrites package-lock.json:  node scripts/lockfile-platform-bindings.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const OS = ['android', 'darwin', 'freebsd', 'linux', 'openharmony', 'win32', 'sunos', 'aix', 'netbsd', 'openbsd'];
const CPU = { 'arm-eabi': 'arm', arm64: 'arm64', x64: 'x64', ia32: 'ia32', arm: 'arm', loong64: 'loong64', ppc64: 'ppc64', riscv64: 'riscv64', s390x: 's390x', wasm32: 'wasm32' };

function platformOf(name) {
	const parts = name.split('/').pop().split('-');
	const osIndex = parts.findIndex((p) => OS.includes(p));
	if (osIndex < 0) return undefined;
	const rest = parts.slice(osIndex + 1);
	const joined = rest.join('-');
	const cpuKey = Object.keys(CPU).find((k) => joined === k || joined.startsWith(k + '-'));
	if (!cpuKey) return undefined;
	const out = { os: [parts[osIndex]], cpu: [CPU[cpuKey]] };
	if (/(^|-)musl/.test(joined)) out.libc = ['musl'];
	else if (/(^|-)gnu/.test(joined)) out.libc = ['glibc'];
	return out;
}

const path = 'package-lock.json';
const lock = JSON.parse(readFileSync(path, 'utf8'));
const pkgs = lock.packages;
let added = 0;
for (const [key, entry] of Object.entries(pkgs)) {
	for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
		// npm resolves from the nearest node_modules upwards; top level is where these live here.
		const nested = `${key ? key + '/' : ''}node_modules/${dep}`;
		const top = `node_modules/${dep}`;
		if (pkgs[nested] || pkgs[top]) continue;
		const platform = platformOf(dep);
		if (!platform) {
			console.warn(`left alone (not a platform binding): ${dep}`);
			continue;
		}
		const record = { version, ...platform, optional: true, license: entry.license };
		if (entry.dev) record.dev = true;
		pkgs[top] = record;
		added++;
	}
}
writeFileSync(path, JSON.stringify(lock, null, '\t') + '\n');
console.log(`package-lock.json: added ${added} platform-specific optional entr${added === 1 ? 'y' : 'ies'}`);
