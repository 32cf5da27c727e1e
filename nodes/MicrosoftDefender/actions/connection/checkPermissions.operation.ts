import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { apiDisplayName, grantHint } from '../../helpers/errors';
import { API_FAMILIES, RESOURCE_APPS, type ApiFamily } from '../../helpers/hosts';
import { decodeJwtPayload, rolesOf } from '../../helpers/jwt';
import { delegatedClaims } from '../../helpers/delegated';
import {
	ENDPOINT_PERMISSIONS,
	appRolesOfDelegated,
	delegatedToGrant,
	missingPermissions,
	requiredPermissions,
	userPermissionFor,
} from '../../helpers/permissions';
import { getDefenderToken } from '../../transport';
import { toItems } from '../common';
import { OPERATION_PERMISSIONS } from '../operations';

const properties: INodeProperties[] = [
	{
		displayName: 'Summary Only',
		name: 'summaryOnly',
		type: 'boolean',
		default: false,
		description:
			'Whether to return one item (what to grant, per API, with every operation\'s verdict under "operations") instead of one item per operation',
	},
];

const displayOptions = { show: { resource: ['connection'], operation: ['checkPermissions'] } };

export const description = updateDisplayOptions(displayOptions, properties);

interface FamilyReport {
	api: ApiFamily;
	apiName: string;
	tokenIssued: boolean;
	roles: string[];
	audience?: string;
	/** Delegated credential: the token's `scp` (roles then holds their application-permission names). */
	delegatedPermissions?: string[];
	user?: string;
	error?: string;
	errorDescription?: string;
}

/**
 * Permission doctor: gets a token per audience, reads its `roles` claim and says, for every
 * operation of the node, whether the app may run it and what to grant if not. A family whose
 * token fails is reported, not fatal. Output: one item per permission row of the operation table
 * (same fields on each), or with Summary Only one item with the totals, the permissions to grant,
 * the token per API and the same rows under `operations`.
 */
export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const summaryOnly = this.getNodeParameter('summaryOnly', i, false) as boolean;
	const families: Record<string, FamilyReport> = {};
	let tenant: string | undefined;
	let delegated = false;

	for (const api of API_FAMILIES) {
		const report: FamilyReport = { api, apiName: RESOURCE_APPS[api], tokenIssued: false, roles: [] };
		try {
			// Fresh tokens: roles granted since the last token must show up here.
			const t = await getDefenderToken.call(this, api, i, { fresh: true });
			tenant = tenant ?? t.tenant;
			const claims = decodeJwtPayload(t.token) ?? {};
			report.tokenIssued = true;
			const { scp, user } = delegatedClaims(t.token);
			report.roles = (scp.length ? appRolesOfDelegated(api, scp) : rolesOf(t.token)).sort();
			if (scp.length) {
				report.delegatedPermissions = [...scp].sort();
				if (user) report.user = user;
				delegated = true;
			}
			report.audience = typeof claims.aud === 'string' ? claims.aud : undefined;
		} catch (error) {
			report.error = String((error as Error).message ?? error);
			const d = (error as { description?: unknown }).description;
			if (typeof d === 'string' && d) report.errorDescription = d;
		}
		families[api] = report;
	}

	// Every item has the same fields in the same order, so n8n's table view shows one clean column
	// each (a field left out of some items reads "undefined" there).
	const rows: IDataObject[] = OPERATION_PERMISSIONS.map((p) => {
		const fam = families[p.api];
		const required = requiredPermissions(p);
		const missingGroups = missingPermissions(p, fam.roles);
		const allowed = fam.tokenIssued && missingGroups.length === 0;
		const howToFix = allowed
			? ''
			: fam.tokenIssued
				? fam.delegatedPermissions
					? `Add the delegated permission ${delegatedToGrant({ api: p.api, calls: p.calls }).join(' + ')} on ${RESOURCE_APPS[p.api]}, press "Grant admin consent", then press "Reconnect" on the credential.`
					: grantHint(p.api, missingGroups.map((g) => g[0]))
				: `No token for the ${apiDisplayName(p.api)}: ${fam.error ?? 'unknown error'}${fam.errorDescription ? ` ${fam.errorDescription}` : ''}`;
		const row: IDataObject = {
			displayName: p.displayName,
			allowed,
			grantThis: (fam.tokenIssued ? missingGroups : required).map((g) => g[0]),
			howToFix,
			resource: p.resource,
			operation: p.operation,
			api: p.api,
			apiName: RESOURCE_APPS[p.api],
			// Every group is needed; within a group any one permission suffices.
			requiredAllOf: required as unknown as IDataObject[],
			grantedBy: required.map((g) => g.find((r) => fam.roles.includes(r))).filter((r): r is string => r !== undefined),
			optional: (p.optional ?? []).map((o) => {
				const roles = ENDPOINT_PERMISSIONS[o.call].roles;
				return { enables: o.enables, anyOf: roles, granted: fam.tokenIssued && roles.some((r) => fam.roles.includes(r)) };
			}) as unknown as IDataObject[],
			tenant: tenant ?? '',
		};
		// Delegated runs: on every row (both APIs are delegated with one credential).
		if (delegated) row.userRoleMustInclude = userPermissionFor(p);
		return row;
	});

	const missing = new Map<string, { api: ApiFamily; apiName: string; permission: string; enables: string[] }>();
	for (const row of rows) {
		if (row.allowed || !families[row.api as ApiFamily].tokenIssued) continue;
		for (const permission of row.grantThis as string[]) {
			const key = `${String(row.api)}|${permission}`;
			const entry = missing.get(key) ?? {
				api: row.api as ApiFamily,
				apiName: String(row.apiName),
				permission,
				enables: [],
			};
			entry.enables.push(String(row.displayName));
			missing.set(key, entry);
		}
	}

	const allowedCount = rows.filter((r) => r.allowed).length;
	const summary: IDataObject = {
		tenant,
		allowedOperations: allowedCount,
		deniedOperations: rows.length - allowedCount,
		missingPermissions: [...missing.values()] as unknown as IDataObject[],
		howToFix: missing.size
			? 'In the Entra admin center open App registrations → your app → API permissions → Add a permission (Microsoft Graph, or "APIs my organization uses" for WindowsDefenderATP) → Application permissions; add the permissions listed in missingPermissions, then press "Grant admin consent". New permissions reach n8n with the next token (within an hour).'
			: '',
		apis: API_FAMILIES.map((api) => ({ ...families[api] })) as unknown as IDataObject[],
	};
	if (delegated) {
		summary.delegated =
			'Delegated credential: "allowed" reads the app\'s delegated permissions in the tokens (scp); the signed-in analyst\'s Defender role must also include each row\'s userRoleMustInclude. Add missing permissions as Delegated permissions, grant admin consent and reconnect.';
		summary.howToFix = String(summary.howToFix).replace('→ Application permissions', '→ Delegated permissions');
	}
	summary.operations = rows;

	const data = summaryOnly ? [summary] : rows;
	return toItems.call(this, data, i);
}
