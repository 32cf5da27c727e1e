/* eslint-disable @n8n/community-nodes/no-restricted-imports */
import { readFileSync } from 'node:fs';

import { OPERATION_PERMISSIONS } from '../../nodes/MicrosoftDefender/helpers/permissions';
import { renderReadme } from '../../scripts/docs-tables';

describe('README tables', () => {
	const readme = readFileSync('README.md', 'utf8');

	it('match the permission and cloud tables in code (run `npm run docs:tables` to refresh)', () => {
		expect(renderReadme(readme)).toBe(readme);
	});

	it('list every operation of the permissions table', () => {
		for (const p of OPERATION_PERMISSIONS) expect(readme).toContain(`| ${p.displayName} |`);
	});

	it('show the two commands near the top', () => {
		const top = readme.split('\n').slice(0, 40).join('\n');
		expect(top).toContain('npm run demo');
		expect(top).toContain('npm test');
	});
});
