/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals, no-console */
// Renders the README tables (operations, permissions, delegated, clouds) from the code's single
// tables, so docs cannot drift from code. `npx tsx scripts/docs-tables.ts --write` rewrites them; test/unit/docs.test.ts fails when stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

import type { INodePropertyOptions } from 'n8n-workflow';

import { CLOUDS, RESOURCE_APPS, type ApiFamily } from '../nodes/MicrosoftDefender/helpers/hosts';
import { nodeProperties } from '../nodes/MicrosoftDefender/actions/node.description';
import { OPERATION_LIST, OPERATION_PERMISSIONS, isDestructive } from '../nodes/MicrosoftDefender/actions/operations';
import {
	ENDPOINT_PERMISSIONS,
	delegatedToGrant,
	requiredPermissions,
	userPermissionFor,
} from '../nodes/MicrosoftDefender/helpers/permissions';
import { CONTRACT, type Basis, type EndpointContract } from '../test/emulator/contract';
import { EMULATED_CLOUDS } from '../test/emulator/core/clouds';

/** The AI-agent column: operations that change the tenant run as a tool only when allowed. */
const agentCell = (resource: string, operation: string) => (isDestructive(resource, operation) ? 'opt-in' : 'yes');

const API_LABELS: Record<ApiFamily, string> = { graph: 'Microsoft Graph', mde: 'Defender for Endpoint API' };

/** The node's option (display name, description) of a resource or operation value. */
function optionOf(resource: string | undefined, value: string): INodePropertyOptions {
	const parameter = nodeProperties.find(
		(p) =>
			p.name === (resource ? 'operation' : 'resource') &&
			(!resource || (p.displayOptions?.show?.resource as string[] | undefined)?.includes(resource)),
	);
	const option = (parameter?.options as INodePropertyOptions[] | undefined)?.find((o) => o.value === value);
	if (!option) throw new Error(`The node has no ${resource ? `${resource} operation` : 'resource'} "${value}"`);
	return option;
}

/** Every operation in the operation table's order, named and described as the node's dropdowns do. */
export function renderOperationsTable(): string {
	const apiOrder: ApiFamily[] = ['graph', 'mde'];
	const rows = OPERATION_LIST.map((row) => {
		const option = optionOf(row.resource, row.operation);
		const apis = apiOrder.filter((api) => row.permissions.some((p) => p.api === api)).map((api) => API_LABELS[api]);
		return `| ${optionOf(undefined, row.resource).name} | ${option.name} | ${cell(option.description ?? '')} | ${apis.join(' or ') || '—'} | ${agentCell(row.resource, row.operation)} |`;
	});
	return ['| Resource | Operation | What it does | API | AI agent |', '|---|---|---|---|---|', ...rows].join('\n');
}

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
			const uses = byRole.get(role) ?? [];
			if (!uses.includes(o.enables)) uses.push(o.enables);
			byRole.set(role, uses);
		}
		const optional = [...byRole].map(([role, uses]) => `\`${role}\`: ${uses.join(', ')}`).join('; ');
		return `| ${p.displayName} | ${RESOURCE_APPS[p.api]} | ${grant} | ${alternatives || '—'} | ${optional || '—'} | ${agentCell(p.resource, p.operation)} |`;
	});
	return [
		'| Operation | API (Entra resource app) | Application permissions to grant (default options) | Also accepted | Optional: only for | AI agent |',
		'|---|---|---|---|---|---|',
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
			`| ${c.displayName} (\`${key}\`) | ${c.authority} | ${c.api.mde.baseUrl} | ${c.api.graph.baseUrl} |`,
	);
	return [
		'| Cloud | Login authority | Defender for Endpoint API | Microsoft Graph |',
		'|---|---|---|---|',
		...rows,
	].join('\n');
}

const BLOCKS: Record<string, () => string> = {
	operations: renderOperationsTable,
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

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function limitText(row: EndpointContract): string {
	const l = row.limit;
	if (!l) return '—';
	const parts = [l.perMinute !== undefined ? `${l.perMinute}/min` : '', l.perHour !== undefined ? `${l.perHour.toLocaleString('en-US')}/h` : ''].filter(Boolean);
	return `${parts.join(', ')} per ${l.per} (${l.tag})`;
}

/** docs/contract.md: generated from the emulator's statement of the contract (test/emulator/contract.ts). */
export function renderContractDoc(): string {
	const rows = CONTRACT.map((r) => {
		const cap = r.pageCap ? `${r.pageCap.max.toLocaleString('en-US')} (${r.pageCap.over === 'refuse' ? '400 above' : 'clamped'}; ${r.pageCap.tag})` : '—';
		const roles = r.public ? 'none (signed link)' : r.roles.map((x) => `\`${x}\``).join(' or ');
		const query = r.query.length ? r.query.map((q) => `\`${q}\``).join(', ') : 'none';
		const enums = Object.entries(r.body ?? {})
			.map(([k, e]) => `${k}: ${e.variants ? Object.entries(e.variants).map(([v, vals]) => `${v} = ${vals.join(', ')}`).join(' / ') : e.values.join(', ')} (${e.tag})`)
			.join('; ');
		const errors = r.errors.map((e) => `${e.status}${e.code ? ` ${e.code}` : ''}`).join(', ');
		return `| ${r.method} | \`${r.path}\` | ${r.api} | ${cell(r.page)} | ${roles} (${r.rolesBasis.tag}) | ${query} (${r.queryBasis.tag}) | ${cap} | ${limitText(r)} | ${cell(enums) || '—'} | ${errors} |`;
	});
	const open: string[] = [];
	for (const r of CONTRACT) {
		const claims: Array<[string, Basis | undefined]> = [
			['permissions', r.rolesBasis],
			['query options', r.queryBasis],
			['page cap', r.pageCap],
			['rate limit', r.limit],
			['$orderby (not documented)', r.orderBy],
			...Object.entries(r.body ?? {}).map(([k, e]) => [`${k} values`, e] as [string, Basis]),
		];
		for (const [what, b] of claims) {
			if (!b || b.tag === 'documented') continue;
			open.push(`| ${r.method} \`${r.path}\` | ${what} | ${b.tag} | ${cell(b.source)}: ${cell(b.quote)} | ${cell(b.ifWrong ?? '')} |`);
		}
	}
	for (const [cloud, c] of Object.entries(EMULATED_CLOUDS)) {
		for (const [family, a] of Object.entries(c.api)) {
			if (a.tag === 'documented') continue;
			open.push(`| ${cloud} ${family} token scope | \`${a.resource}/.default\` | ${a.tag} | ${cell(a.source)} | The credential's scope override fields (${family}Scope) let users set the scope their tenant needs. |`);
		}
	}
	return [
		'# Microsoft\'s contract as the package and its emulator read it',
		'',
		'<!-- Generated by `npm run docs:tables` from test/emulator/contract.ts and test/emulator/core/clouds.ts. Do not edit by hand; test/unit/docs.test.ts fails when stale. -->',
		'',
		'Nothing here can reach a real tenant, so every test runs against a local emulator of the',
		'Defender for Endpoint, Defender XDR and Microsoft Graph security APIs. The emulator is not',
		'Microsoft: it holds what we read in Microsoft Learn. Every claim below carries a tag:',
		'',
		'- **documented**: the Learn page named in the row says it (the quoted sentence is in `test/emulator/contract.ts`);',
		'- **observed**: a public report of real responses says it (the source is named); no page does;',
		'- **assumed**: the docs are silent; the emulator plays the variant that breaks a careless client, and the package must stay correct whatever the service does.',
		'',
		'The emulator enforces the table in **strict mode**, the default for every test: exactly the',
		'listed application permissions per endpoint (any one of a row suffices), the listed rate',
		'limits, only the documented enum values on PATCH/POST, and the page caps. Where Microsoft\'s',
		'pages are silent or disagree, a seed picks one variant, and tests pin each variant so CI never',
		'depends on a draw:',
		'',
		'- OData options (`$top`, `$skip`, `$expand`, ...) on an endpoint whose page documents none: **ignored** (the same answer as without them) or **refused** with 400. The package sends no paging options there; where it asks *Get incident* for `$expand=alerts` (undocumented), an ignored or refused expansion falls back to *List incidents* (documented `$filter` on `createdDateTime` and `$expand`), and `alertsSource` says so.',
		'- `$orderby` on Graph `alerts_v2` and `incidents` (not documented there; observed ignored): **accepted and ignored**, pages in a seeded order of the IDs (**shuffled**) or newest first (**reverse**); pages of one query snapshot still neither lose nor repeat a record. Lenient mode honours it. The package sends none: the trigger reads closed time windows to their last page, Sort By and the pickers sort client-side.',
		'- The text of a 403 for a token without the endpoint\'s permission: the observed `Missing application roles. API required roles: …` or a text that names no permission (seeds 16-31). The package names the permission of the refused call from its own table either way.',
		'- MDE alert determination: the *Update alert* spelling (`NotMalicious`, `ConfirmedActivity`) or the alert resource page\'s (`Clean`, `ConfirmedUserActivity`). The package sends the first and, refused, the second once (`determinationSentAs` in the output).',
		'',
		'A lenient mode exists only for tests that cannot meet the contract and must say why',
		'(`startEmulator({ strict: { lenient: \'reason\' } })`). The emulator imports nothing from the',
		'package (a test fails if it does); `test/unit/contract.test.ts` compares the package\'s own',
		'tables (permissions per endpoint, page limits, pacing quotas, hosts and scopes per cloud) with',
		'these and fails on any disagreement. `test/unit/permissions.matrix.test.ts` runs every',
		'operation with an app holding exactly its README permissions against the strict emulator.',
		'',
		'## Endpoints',
		'',
		'| Method | Path | API | Learn page | Application permissions | Query options | Page cap | Rate limit | Enum values (PATCH/POST) | Documented errors |',
		'|---|---|---|---|---|---|---|---|---|---|',
		...rows,
		'',
		'## What is not documented, and what the package does if it is wrong',
		'',
		'| Endpoint / item | Claim | Tag | Source and sentence | If Microsoft behaves otherwise |',
		'|---|---|---|---|---|',
		...open,
		'',
	].join('\n');
}

if (require.main === module) {
	const path = resolve('README.md');
	const next = renderReadme(readFileSync(path, 'utf8'));
	if (process.argv.includes('--write')) {
		writeFileSync(path, next);
		writeFileSync(resolve('docs/contract.md'), renderContractDoc());
		console.log('README.md tables and docs/contract.md updated');
	} else {
		process.stdout.write(next);
	}
}
