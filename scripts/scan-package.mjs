#!/usr/bin/env node
// Runs n8n's verification scanner rules on this package locally.
//
// `npx @n8n/scan-community-package <name>` only scans a *published* version (it checks npm
// provenance, then downloads the attested source and the tarball). Before publishing we run the
// very same `analyzePackage` it exports on both legs it would lint:
//   1. the source: package.json + {nodes,credentials}/**/*.{js,ts,json}
//   2. the packed tarball: **/*.js + package.json
// with inline `eslint-disable` comments ignored, exactly as the scanner does.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { analyzePackage, SOURCE_FILE_PATTERNS } from '@n8n/scan-community-package/scanner/scanner.mjs';

const root = resolve(process.argv[2] ?? '.');
const work = mkdtempSync(join(tmpdir(), 'defender-scan-'));
let failed = false;
try {
	console.log('[scan 1/3] packing the package (npm pack)…');
	const packed = JSON.parse(
		execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8' }),
	);
	const tarball = join(work, packed[0].filename);
	const extracted = join(work, 'pkg');
	execFileSync('mkdir', ['-p', extracted]);
	execFileSync('tar', ['-xzf', tarball, '-C', extracted, '--strip-components=1']);

	console.log('[scan 2/3] scanner rules on the source (package.json, nodes/, credentials/)…');
	const source = await analyzePackage(root, SOURCE_FILE_PATTERNS);
	console.log(source.passed ? '  source: passed' : `  source: FAILED — ${source.message}\n${source.details ?? ''}`);

	console.log('[scan 3/3] scanner rules on the packed tarball (**/*.js, package.json)…');
	const dist = await analyzePackage(extracted, ['**/*.js', 'package.json']);
	console.log(dist.passed ? '  tarball: passed' : `  tarball: FAILED — ${dist.message}\n${dist.details ?? ''}`);

	failed = !source.passed || !dist.passed;
} finally {
	rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
