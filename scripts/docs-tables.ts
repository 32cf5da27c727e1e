/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals, no-console */
// Renders the README tables from the code's single tables, so docs cannot drift from code.
// `npx tsx scripts/docs-tables.ts --write` rewrites them; test/unit/docs.test.ts fails when stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { CLOUDS, RESOURCE_APPS } from '../nodes/MicrosoftDefender/helpers/hosts';
import {
	ENDPOINT_PERMISSIONS,
	OPERATION_PERMISSIONS,
	delegatedToGrant,
	requiredPermissions,
	userPermissionFor,
} from '../nodes/MicrosoftDefender/helpers/permissions';

export function renderPermissionsTable(): string {
	const code = (roles: string[]) => roles.map((r) => `\`${r}\``).join(' or ');
	const rows = OPERATION_PERMISSIONS.map((p) => {
		const required = requiredPermissions(p);
		const grant = required.map((g) => `\`${g[0]}\``).join(' + ');
		const alternatives = required
			.filter((g) => g.length > 1)
			.map((g) => `${code(g.slice(1))} for \`${g[0]}\``)
			.join('; ');
		const byRole = new Map<string, string[]>();
		for (const o of p.optional ?? []) {
			const role = ENDPOINT_PERMISSIONS[o.call].roles[0];
			byRole.set(role, [...(byRole.get(role) ?? []), o.enables]);
		}
		const optional = [...byRole].map(([role, uses]) => `\`${role}\`: ${uses.join(', ')}`).join('; ');
		return `| ${p.displayName} | ${RESOURCE_APPS[p.api]} | ${grant} | ${alternatives || '—'} | ${optional || '—'} |`;
	});
	return [
		'| Operation | API (Entra resource app) | Application permissions to grant (default options) | Also accepted | Optional: only for |',
		'|---|---|---|---|---|',
		...rows,
	].join('\n');
}

/** Delegated sign-in: the app's delegated permission AND the analyst's Defender role permission. */
export function renderDelegatedTable(): string {
	const rows = OPERATION_PERMISSIONS.map(
		(p) =>
			`| ${p.displayName} | ${RESOURCE_APPS[p.api]} | ${delegatedToGrant(p)
				.map((d) => `\`${d}\``)
				.join(' + ')} | ${userPermissionFor(p)} |`,
	);
	return [
		'| Operation | API (Entra resource app) | Delegated permission to add | Analyst\'s Defender role must include |',
		'|---|---|---|---|',
		...rows,
	].join('\n');
}

export function renderCloudsTable(): string {
	const rows = Object.entries(CLOUDS).map(
		([key, c]) =>
			`| ${c.displayName} (\`${key}\`) | ${c.authority} | ${c.api.mde.baseUrl} | ${c.api.xdr.baseUrl} | ${c.api.graph.baseUrl} |`,
	);
	return [
		'| Cloud | Login authority | Defender for Endpoint API | Defender XDR API | Microsoft Graph |',
		'|---|---|---|---|---|',
		...rows,
	].join('\n');
}

const BLOCKS: Record<string, () => string> = {
	permissions: renderPermissionsTable,
	delegated: renderDelegatedTable,
	clouds: renderCloudsTable,
};

export function renderReadme(readme: string): string {
	let out = readme;
	for (const [name, render] of Object.entries(BLOCKS)) {
		const start = `<!-- table:${name}:start -->`;
		const end = `<!-- table:${name}:end -->`;
		const i = out.indexOf(start);
		const j = out.indexOf(end);
		if (i < 0 || j < i) throw new Error(`README.md lacks the ${name} table markers`);
		out = out.slice(0, i + start.length) + '\n' + render() + '\n' + out.slice(j);
	}
	return out;
}

if (require.main === module) {
	const path = resolve('README.md');
	const next = renderReadme(readFileSync(path, 'utf8'));
	if (process.argv.includes('--write')) {
		writeFileSync(path, next);
		console.log('README.md tables updated');
	} else {
		process.stdout.write(next);
	}
}
