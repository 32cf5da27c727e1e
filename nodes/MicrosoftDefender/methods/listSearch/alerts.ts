import type { IDataObject, ILoadOptionsFunctions, INodeListSearchResult } from 'n8n-workflow';

import { dateTime, ge } from '../../helpers/odata';
import { canonicalTimestamp } from '../../helpers/pollTime';
import { simplifyAlert } from '../../helpers/simplify';
import { defenderApiRequestAllItems } from '../../transport';
import { alertHost, alertRow } from './rows';
import { OPERATIONS } from '../../actions/operations';

/** How many recent alerts the picker shows; the search text filters them locally. */
const RECENT_ALERTS = 100;
/** Most alerts read per look-back window before sorting locally. */
const SCAN = 1000;
/** Look-back windows, shortest first: the first one holding enough alerts is used. */
const WINDOWS_MS = [24 * 3600 * 1000, 7 * 24 * 3600 * 1000, 30 * 24 * 3600 * 1000];

function updatedAt(alert: IDataObject): string {
	return canonicalTimestamp(alert.lastUpdateDateTime ?? alert.lastUpdateTime) ?? '';
}

function matches(raw: IDataObject, alert: IDataObject, filter: string): boolean {
	if (!filter) return true;
	const needle = filter.toLowerCase();
	return [alert.id, alert.title, alert.machineId, alertHost(raw)].some((v) => String(v ?? '').toLowerCase().includes(needle));
}

/**
 * Recently updated alerts for the Alert picker, from the API chosen in the node (Graph or MDE).
 * Neither *List alerts_v2* nor *List alerts* documents `$orderby`, so the picker reads the alerts
 * changed in a recent window (a day, else a week, else 30 days) and sorts them here, newest first.
 * Neither API documents a text search on titles, so the search text filters locally (title, ID,
 * device). Many alerts share a title (one detection on many devices), so a row names the device
 * and the time too.
 */
export async function searchAlerts(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
	let api = 'graph';
	try {
		api = (this.getCurrentNodeParameter('api') as string) || 'graph';
	} catch {
		api = 'graph';
	}
	let records: IDataObject[] = [];
	for (const windowMs of WINDOWS_MS) {
		const since = dateTime(Date.now() - windowMs);
		records =
			api === 'mde'
				? await defenderApiRequestAllItems.call(
						this,
						{
							api: 'mde',
							method: 'GET',
							path: '/api/alerts',
							qs: { $filter: ge('lastUpdateTime', since) },
							operation: OPERATIONS.alert.getAll,
						},
						{ endpoint: 'mdeAlerts', limit: SCAN },
					)
				: await defenderApiRequestAllItems.call(
						this,
						{
							api: 'graph',
							method: 'GET',
							path: '/v1.0/security/alerts_v2',
							qs: { $filter: ge('lastUpdateDateTime', since) },
							headers: { Prefer: 'include-unknown-enum-members' },
							operation: OPERATIONS.alert.getAll,
						},
						{ endpoint: 'graphAlerts', limit: SCAN },
					);
		if (records.length >= RECENT_ALERTS) break;
	}
	const newestFirst = [...records].sort((a, b) => (updatedAt(a) < updatedAt(b) ? 1 : updatedAt(a) > updatedAt(b) ? -1 : 0)).slice(0, RECENT_ALERTS);
	const results = newestFirst
		.map((r) => ({ raw: r, s: simplifyAlert(r) }))
		.filter(({ raw, s }) => matches(raw, s, (filter ?? '').trim()))
		.map(({ raw, s }) => ({
			name: alertRow(raw, s),
			value: String(s.id),
			url: typeof raw.alertWebUrl === 'string' ? raw.alertWebUrl : undefined,
		}));
	return { results };
}
