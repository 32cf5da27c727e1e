import type { IDataObject, ILoadOptionsFunctions, INodeListSearchResult } from 'n8n-workflow';

import { dateTime, ge } from '../../helpers/odata';
import { simplifyAlert } from '../../helpers/simplify';
import { defenderApiRequestAllItems } from '../../transport';

/** How many recent alerts the picker reads; the search text filters them locally. */
const RECENT_ALERTS = 100;
/** MDE: how far back and how many alerts to read before sorting locally. */
const MDE_WINDOW_MS = 7 * 24 * 3600 * 1000;
const MDE_SCAN = 1000;

function updatedAt(alert: IDataObject): number {
	const t = Date.parse(String(alert.lastUpdateDateTime ?? alert.lastUpdateTime ?? ''));
	return Number.isNaN(t) ? 0 : t;
}

function matches(alert: IDataObject, filter: string): boolean {
	if (!filter) return true;
	const needle = filter.toLowerCase();
	return [alert.id, alert.title, alert.machineId].some((v) => String(v ?? '').toLowerCase().includes(needle));
}

/**
 * Recently updated alerts for the Alert picker, from the API chosen in the node (Graph or
 * MDE). Neither API documents a text search on titles, so the search text filters locally.
 */
export async function searchAlerts(
	this: ILoadOptionsFunctions,
	filter?: string,
): Promise<INodeListSearchResult> {
	let api = 'graph';
	try {
		api = (this.getCurrentNodeParameter('api') as string) || 'graph';
	} catch {
		api = 'graph';
	}
	const records =
		api === 'mde'
			? await defenderApiRequestAllItems.call(
					this,
					{
						api: 'mde',
						method: 'GET',
						path: '/api/alerts',
						// No documented $orderby on MDE: read the last week's changes and sort here.
						qs: { $filter: ge('lastUpdateTime', dateTime(Date.now() - MDE_WINDOW_MS)) },
						operation: { resource: 'alert', operation: 'getAll' },
					},
					{ endpoint: 'mdeAlerts', limit: MDE_SCAN },
				)
			: await defenderApiRequestAllItems.call(
					this,
					{
						api: 'graph',
						method: 'GET',
						path: '/v1.0/security/alerts_v2',
						qs: { $orderby: 'lastUpdateDateTime desc' },
						headers: { Prefer: 'include-unknown-enum-members' },
						operation: { resource: 'alert', operation: 'getAll' },
					},
					{ endpoint: 'graphAlerts', limit: RECENT_ALERTS },
				);
	const newestFirst = [...records].sort((a, b) => updatedAt(b) - updatedAt(a)).slice(0, RECENT_ALERTS);
	const results = newestFirst
		.map((r) => ({ raw: r, s: simplifyAlert(r) }))
		.filter(({ s }) => matches(s, (filter ?? '').trim()))
		.map(({ raw, s }) => ({
			name: `${s.title ?? '(no title)'} [${s.severity ?? 'unknown'}, ${s.status ?? 'unknown'}]`,
			value: String(s.id),
			url: typeof raw.alertWebUrl === 'string' ? raw.alertWebUrl : undefined,
		}));
	return { results };
}
