import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { commentTextParameter } from '../../descriptions/common';
import { defenderApiRequest } from '../../transport';
import { requireText, toItems } from '../common';
import { incidentLocator, readIncidentId } from './common';
import { OPERATIONS } from '../operations';

const properties: INodeProperties[] = [
	incidentLocator('The incident to comment on'),
	commentTextParameter('e.g. Contained by n8n: 3 hosts isolated'),
];

const displayOptions = { show: { resource: ['incident'], operation: ['addComment'] } };

export const description = updateDisplayOptions(displayOptions, properties);

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const id = readIncidentId(this, i);
	const comment = requireText(this, i, 'comment', 'Comment', 'Enter the text of the comment.');
	const response: unknown = await defenderApiRequest.call(this, {
		api: 'graph',
		method: 'POST',
		path: `/v1.0/security/incidents/${encodeURIComponent(id)}/comments`,
		body: { '@odata.type': 'microsoft.graph.security.alertComment', comment },
		itemIndex: i,
		operation: OPERATIONS.incident.addComment,
	});
	let comments: IDataObject[] = [];
	if (Array.isArray(response)) comments = response as IDataObject[];
	else if (response && typeof response === 'object' && Array.isArray((response as IDataObject).value)) {
		comments = (response as IDataObject).value as IDataObject[];
	}
	return toItems.call(this, { incidentId: id, comment, comments }, i);
}
