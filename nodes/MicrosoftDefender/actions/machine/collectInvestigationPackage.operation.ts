import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { toItems } from '../common';
import { downloadToBinary, getInvestigationPackageUri } from './links';
import { responseActionDescription, runResponseAction } from './responseAction';
import { OPERATIONS } from '../operations';

export const description = responseActionDescription('collectInvestigationPackage', [
	{
		displayName: 'Download Package',
		name: 'downloadPackage',
		type: 'boolean',
		default: false,
		description:
			'Whether to download the package (a ZIP file) as binary data once the collection has succeeded. Uses the short-lived link from Microsoft (2 link requests per minute per tenant).',
		displayOptions: { show: { waitForCompletion: [true] } },
	},
	{
		displayName: 'Put Output File in Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		hint: 'The name of the output binary field to put the package in',
		displayOptions: { show: { waitForCompletion: [true], downloadPackage: [true] } },
	},
]);

/**
 * Collect an investigation package. With Wait for Completion and Download Package, a succeeded
 * collection is downloaded into a binary field; the JSON is the final MachineAction with
 * `packageDownloaded` true/false. A failed, cancelled or timed-out collection returns its state
 * without binary data.
 */
export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const { action, machineId, waited } = await runResponseAction.call(this, i, 'collectInvestigationPackage');
	const download = waited && (this.getNodeParameter('downloadPackage', i, false) as boolean);
	if (!download) return toItems.call(this, action, i);

	if (action.status !== 'Succeeded') {
		return toItems.call(this, { ...action, packageDownloaded: false }, i);
	}
	const operation = OPERATIONS.machine.collectInvestigationPackage;
	const actionId = String(action.id);
	const url = await getInvestigationPackageUri.call(this, actionId, i, operation);
	const binaryPropertyName = (this.getNodeParameter('binaryPropertyName', i, 'data') as string).trim() || 'data';
	const host = typeof action.computerDnsName === 'string' && action.computerDnsName ? action.computerDnsName : machineId;
	const fileName = `investigation-package-${host.replace(/[^A-Za-z0-9._-]/g, '_')}-${actionId}.zip`;
	// Streamed into n8n's binary store: packages can be large.
	const binary = await downloadToBinary.call(this, url, fileName, i, operation);
	const json: IDataObject = { ...action, packageDownloaded: true };
	return [{ json, binary: { [binaryPropertyName]: binary }, pairedItem: { item: i } }];
}
