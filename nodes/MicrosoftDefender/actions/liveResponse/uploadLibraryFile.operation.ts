import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';
import { randomBytes } from 'crypto';

import { LIVE_RESPONSE_LIMITS } from '../../helpers/liveResponse';
import { mdeRequest } from '../../transport/mde';
import { toItems } from '../common';
import { OPERATIONS } from '../operations';

const properties: INodeProperties[] = [
	{
		displayName: 'Input Binary Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		hint: 'The name of the input binary field holding the file to upload',
	},
	{
		displayName: 'File Name',
		name: 'fileName',
		type: 'string',
		default: '',
		placeholder: 'e.g. collect-triage.ps1',
		description: "Name in the library. Empty: the binary data's file name. Letters, digits, '-', '_' and '.' only.",
	},
	{
		displayName: 'Description',
		name: 'description',
		type: 'string',
		default: '',
	},
	{
		displayName: 'Parameters Description',
		name: 'parametersDescription',
		type: 'string',
		default: '',
		placeholder: 'e.g. -ProcessName <name>',
		description: 'For scripts: the arguments they take, shown to analysts',
	},
	{
		displayName: 'Override If Exists',
		name: 'overrideIfExists',
		type: 'boolean',
		default: false,
		description: 'Whether to replace a library file of the same name',
	},
];

const displayOptions = { show: { resource: ['liveResponse'], operation: ['uploadLibraryFile'] } };

export const description = updateDisplayOptions(displayOptions, properties);

/** Library file names: the portal allows letters, digits and - _ . ("Investigate entities on devices using live response"). */
export function libraryFileName(this: IExecuteFunctions, value: string, i: number): string {
	const name = value.trim();
	if (!/^[A-Za-z0-9._-]{1,255}$/.test(name) || /^\.+$/.test(name)) {
		throw new NodeOperationError(this.getNode(), `"${name}" is not a valid live response library file name (item ${i})`, {
			itemIndex: i,
			description: "Use letters, digits, '-', '_' and '.' only, e.g. collect-triage.ps1.",
		});
	}
	return name;
}

function formField(boundary: string, name: string, value: string): Buffer {
	return Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`, 'utf8');
}

/** Uploads binary data as multipart/form-data, as "Upload files to the live response library" documents (20 MB max). */
export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const field = String(this.getNodeParameter('binaryPropertyName', i, 'data')).trim() || 'data';
	const item = this.getInputData()[i];
	const meta = item?.binary?.[field];
	if (!meta) {
		throw new NodeOperationError(this.getNode(), `The input item has no binary field "${field}" (item ${i})`, {
			itemIndex: i,
			description: 'Set "Input Binary Field" to the field that holds the file (e.g. from Read/Write Files from Disk or HTTP Request).',
		});
	}
	const fileName = libraryFileName.call(this, String(this.getNodeParameter('fileName', i, '')).trim() || meta.fileName || '', i);
	const data = await this.helpers.getBinaryDataBuffer(i, field);
	if (data.length > LIVE_RESPONSE_LIMITS.libraryUploadBytes) {
		throw new NodeOperationError(this.getNode(), `"${fileName}" is ${(data.length / 1024 / 1024).toFixed(1)} MB; the live response library API takes files up to 20 MB (item ${i})`, {
			itemIndex: i,
			description: 'Compress the file, or upload it in the Defender portal (Library management), which allows larger files.',
		});
	}
	const descriptionText = String(this.getNodeParameter('description', i, ''));
	const parametersDescription = String(this.getNodeParameter('parametersDescription', i, ''));
	const override = this.getNodeParameter('overrideIfExists', i, false) as boolean;

	const boundary = `----n8nDefender${randomBytes(12).toString('hex')}`;
	const body = Buffer.concat([
		Buffer.from(
			`--${boundary}\r\nContent-Disposition: form-data; name="File"; filename="${fileName}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
			'utf8',
		),
		data,
		Buffer.from('\r\n', 'utf8'),
		formField(boundary, 'Description', descriptionText),
		formField(boundary, 'ParametersDescription', parametersDescription),
		formField(boundary, 'HasParameters', String(parametersDescription.trim() !== '')),
		formField(boundary, 'OverrideIfExists', String(override)),
		Buffer.from(`--${boundary}--\r\n`, 'utf8'),
	]);
	const saved = await mdeRequest.call(this, {
		method: 'POST',
		path: '/api/libraryfiles',
		rawBody: body,
		headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` },
		// Re-sending the same file is harmless only when it may replace the first upload.
		idempotent: override,
		itemIndex: i,
		operation: OPERATIONS.liveResponse.uploadLibraryFile,
	});
	const file: IDataObject = { ...saved };
	delete file['@odata.context'];
	return toItems.call(this, file, i);
}
