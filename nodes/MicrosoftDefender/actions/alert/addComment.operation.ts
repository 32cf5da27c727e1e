import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { defenderApiRequest } from '../../transport';
import { alertLocator, getAlertApi, GRAPH_HEADERS, readAlertId, requireText, toItems } from './shared';

const properties: INodeProperties[] = [
	alertLocator('The alert to comment on'),
	{
		displayName: 'Comment',
		name: 'comment',
		type: 'string',
		typeOptions: { rows: 3 },
		default: '',
		required: true,
		placeholder: 'e.g. Triaged by n8n: host isolated',
	},
];

const displayOptions = { show: { resource: ['alert'], operation: ['addComment'] } };

export const description = updateDisplayOptions(displayOptions, properties);

function commentsOf(response: unknown): IDataObject[] {
	if (Array.isArray(response)) return response as IDataObject[];
	if (response && typeof response === 'object') {
		const body = response as IDataObject;
		if (Array.isArray(body.value)) return body.value as IDataObject[];
		if (Array.isArray(body.comments)) return body.comments as IDataObject[];
	}
	return [];
}

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const api = getAlertApi(this, i);
	const id = readAlertId(this, i);
	const comment = requireText(this, i, 'comment', 'Comment', 'Enter the text of the comment.');
	const operation = { resource: 'alert', operation: 'addComment' };

	// Graph: POST …/comments answers with the alert's comment list. MDE: a PATCH with `comment`
	// answers with the alert (its `comments` include the new one).
	const response =
		api === 'graph'
			? await defenderApiRequest.call(this, {
					api: 'graph',
					method: 'POST',
					path: `/v1.0/security/alerts_v2/${encodeURIComponent(id)}/comments`,
					body: { '@odata.type': 'microsoft.graph.security.alertComment', comment },
					headers: GRAPH_HEADERS,
					itemIndex: i,
					operation,
				})
			: await defenderApiRequest.call(this, {
					api: 'mde',
					method: 'PATCH',
					path: `/api/alerts/${encodeURIComponent(id)}`,
					body: { comment },
					itemIndex: i,
					operation,
				});
	return toItems(this, i, { alertId: id, comment, comments: commentsOf(response) });
}
