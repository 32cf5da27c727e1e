import type { IDataObject, ILoadOptionsFunctions, INodeListSearchResult } from 'n8n-workflow';

import { simplifyIncident } from '../../helpers/simplify';
import { defenderApiRequest } from '../../transport';

const PAGE = 50;

/**
 * Incidents for the Incident picker (Graph), recently updated first, one page of 50 at a time. The search
 * text filters the page locally by name or ID (Graph documents no text filter on incidents).
 */
export async function searchIncidents(
	this: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	const response = (await defenderApiRequest.call(this, {
		api: 'graph',
		method: 'GET',
		path: '/v1.0/security/incidents',
		...(paginationToken
			? { url: paginationToken }
			: { qs: { $top: PAGE, $orderby: 'lastUpdateDateTime desc' } }),
		headers: { Prefer: 'include-unknown-enum-members' },
		operation: { resource: 'incident', operation: 'getAll' },
	})) as IDataObject;
	const records = (Array.isArray(response.value) ? response.value : []) as IDataObject[];
	const needle = (filter ?? '').trim().toLowerCase();
	const results = records
		.map((r) => ({ raw: r, s: simplifyIncident(r) }))
		.filter(
			({ s }) =>
				!needle ||
				String(s.id).includes(needle) ||
				String(s.displayName ?? '').toLowerCase().includes(needle),
		)
		.map(({ raw, s }) => ({
			name: `#${s.id} ${s.displayName ?? ''} [${s.severity ?? 'unknown'}, ${s.status ?? 'unknown'}]`.trim(),
			value: String(s.id),
			url: typeof raw.incidentWebUrl === 'string' ? raw.incidentWebUrl : undefined,
		}));
	const next = response['@odata.nextLink'];
	return { results, paginationToken: typeof next === 'string' ? next : undefined };
}
