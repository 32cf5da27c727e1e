/* eslint-disable @n8n/community-nodes/no-restricted-imports */
import { readdirSync, readFileSync, statSync } from 'node:fs';

import { OPERATION_PERMISSIONS } from '../../nodes/MicrosoftDefender/actions/operations';
import { renderContractDoc, renderReadme } from '../../scripts/docs-tables';

describe('README tables', () => {
	const readme = readFileSync('README.md', 'utf8');

	it('match the operation, permission and cloud tables in code (run `npm run docs:tables` to refresh)', () => {
		expect(renderReadme(readme)).toBe(readme);
	});

	it('docs/contract.md is generated from the emulator contract (run `npm run docs:tables` to refresh)', () => {
		expect(readFileSync('docs/contract.md', 'utf8')).toBe(renderContractDoc());
	});

	it('list every operation of the permissions table', () => {
		for (const p of OPERATION_PERMISSIONS) expect(readme).toContain(`| ${p.displayName} |`);
	});

	it('claim a retirement only for advanced hunting (MC1220762 is on the hunting pages only, not the MDE alert pages)', () => {
		const walk = (dir: string): string[] =>
			readdirSync(dir).flatMap((n) => (statSync(`${dir}/${n}`).isDirectory() ? walk(`${dir}/${n}`) : [`${dir}/${n}`]));
		const claims = [...walk('nodes'), ...walk('credentials'), 'README.md']
			.filter((f) => /\.(ts|json|md)$/.test(f))
			.flatMap((f) => readFileSync(f, 'utf8').split('\n').filter((l) => /retir/i.test(l)).map((l) => `${f}: ${l.trim()}`));
		for (const claim of claims) expect(claim).toMatch(/hunting|advancedqueries|MC1220762/i);
	});

	it('show the two commands near the top', () => {
		const top = readme.split('\n').slice(0, 40).join('\n');
		expect(top).toContain('npm run demo');
		expect(top).toContain('npm test');
	});
});
