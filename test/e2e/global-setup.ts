/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals, no-console */
/**
 * Once per `npm run test:e2e`: make sure the pinned n8n installs exist and pack this package
 * (`npm pack` of the built tree) so every test installs the same tarball the way a user would.
 * E2E_TARBALL=<path.tgz> skips packing (e.g. a tarball built in a separate clone).
 * E2E_N8N_LINES=1,2 (default) picks the n8n lines to test.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { ensureN8n, packPackage, REPO_ROOT, type N8nLine } from '../../scripts/n8n/harness';

export function e2eLines(): N8nLine[] {
	return (process.env.E2E_N8N_LINES ?? '1,2')
		.split(',')
		.map((s) => Number(s.trim()))
		.filter((n): n is N8nLine => n === 1 || n === 2);
}

export default async function globalSetup(): Promise<void> {
	for (const line of e2eLines()) await ensureN8n(line);
	if (process.env.E2E_TARBALL) {
		if (!existsSync(process.env.E2E_TARBALL)) throw new Error(`E2E_TARBALL not found: ${process.env.E2E_TARBALL}`);
		return;
	}
	if (!existsSync(join(REPO_ROOT, 'dist', 'nodes', 'MicrosoftDefender', 'MicrosoftDefender.node.js'))) {
		throw new Error('dist/ is missing: run `npm run build` before the e2e tests (npm run test:e2e does).');
	}
	const tgz = await packPackage(REPO_ROOT);
	process.env.E2E_TARBALL = tgz; // inherited by the jest workers
	console.log(`[e2e] packed ${tgz}`);
}
