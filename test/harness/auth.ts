/**
 * `helpers.httpRequestWithAuthentication` of the harness IS n8n-core's (1.122.48): the harness
 * only supplies what n8n's CLI would put into `additionalData.credentialsHelper`, with the
 * semantics of n8n's CredentialsHelper (packages/cli/src/credentials-helper.ts):
 *  - getParentTypes: the `extends` chain of the registered credential types;
 *  - preAuthentication: runs the type's hook when its expirable hidden property is empty or the
 *    request got a 401 (credentialsExpired), and stores what it returns in the credential data;
 *  - authenticate: a generic `authenticate` (headers, qs, body, auth with `={{$credentials…}}`
 *    expressions) or the type's function;
 *  - updateCredentialsOauthTokenData: stores the OAuth2 token data in the credential data.
 * So OAuth2 credentials (parent `oAuth2Api`) run n8n-core's own requestOAuth2.
 */
import {
	httpRequestWithAuthentication as n8nHttpRequestWithAuthentication,
} from 'n8n-core/dist/execution-engine/node-execution-context/utils/request-helper-functions';
import type {
	IAdditionalCredentialOptions,
	ICredentialDataDecryptedObject,
	ICredentialType,
	IDataObject,
	IHttpRequestHelper,
	IHttpRequestOptions,
	INode,
	IWorkflowExecuteAdditionalData,
	Workflow,
} from 'n8n-workflow';

import { MicrosoftDefenderEntraAppApi } from '../../credentials/MicrosoftDefenderEntraAppApi.credentials';
import { evaluateWithScope } from './params';

/** The package's own credential types, known to every harness context. */
export const PACKAGE_CREDENTIAL_TYPES: ICredentialType[] = [new MicrosoftDefenderEntraAppApi()];

export function credentialsHelperFor(types: ICredentialType[], stored: (type: string) => ICredentialDataDecryptedObject | undefined) {
	const byName = new Map(types.map((t) => [t.name, t]));
	const get = (name: string): ICredentialType => {
		const t = byName.get(name);
		if (!t) throw new Error(`The harness does not know the credential type "${name}" (pass it in credentialTypes)`);
		return t;
	};
	const parentTypes = (name: string): string[] => {
		const t = byName.get(name);
		const out: string[] = [];
		for (const parent of t?.extends ?? []) out.push(parent, ...parentTypes(parent));
		return out;
	};
	return {
		getParentTypes: parentTypes,
		async preAuthentication(
			helpers: IHttpRequestHelper,
			credentials: ICredentialDataDecryptedObject,
			typeName: string,
			_node: INode,
			credentialsExpired: boolean,
		): Promise<ICredentialDataDecryptedObject | undefined> {
			const type = get(typeName);
			if (typeof type.preAuthentication !== 'function') return undefined;
			const expirable = type.properties.find((p) => p.type === 'hidden' && p.typeOptions?.expirable === true);
			if (expirable === undefined) return undefined;
			if (!credentialsExpired && credentials[expirable.name] !== '' && credentials[expirable.name] !== undefined) return undefined;
			const output = await type.preAuthentication.call(helpers, credentials);
			// n8n stores what the hook returned with the credential.
			Object.assign(stored(typeName) ?? {}, output ?? {});
			return output as ICredentialDataDecryptedObject;
		},
		async authenticate(
			credentials: ICredentialDataDecryptedObject,
			typeName: string,
			requestOptions: IHttpRequestOptions,
		): Promise<IHttpRequestOptions> {
			const auth = get(typeName).authenticate;
			if (typeof auth === 'function') return await auth(credentials, requestOptions);
			if (!auth || auth.type !== 'generic') return requestOptions;
			const scope = { $credentials: credentials };
			const out: IHttpRequestOptions = { ...requestOptions };
			for (const key of ['headers', 'qs', 'body'] as const) {
				const add = auth.properties[key] as IDataObject | undefined;
				if (!add) continue;
				const merged: IDataObject = { ...((out[key] as IDataObject | undefined) ?? {}) };
				for (const [k, v] of Object.entries(add)) merged[k] = evaluateWithScope(v, scope) as IDataObject[string];
				(out as unknown as IDataObject)[key] = merged;
			}
			if (auth.properties.auth) {
				const a = auth.properties.auth as IDataObject;
				out.auth = { username: String(evaluateWithScope(a.username, scope)), password: String(evaluateWithScope(a.password, scope)) };
			}
			return out;
		},
		async updateCredentialsOauthTokenData(_nodeCredentials: unknown, typeName: string, data: ICredentialDataDecryptedObject): Promise<void> {
			Object.assign(stored(typeName) ?? {}, data);
		},
	};
}

/** `helpers.httpRequestWithAuthentication` for a harness context (n8n-core's, `this` = the context). */
export function makeHttpRequestWithAuthentication(
	getContext: () => unknown,
	node: INode,
	types: ICredentialType[],
	stored: (type: string) => ICredentialDataDecryptedObject | undefined,
) {
	const additionalData = { credentialsHelper: credentialsHelperFor(types, stored) } as unknown as IWorkflowExecuteAdditionalData;
	const workflow = { id: 'wf-test', name: 'Harness workflow' } as unknown as Workflow;
	return async function httpRequestWithAuthentication(
		credentialsType: string,
		requestOptions: IHttpRequestOptions,
		additionalCredentialOptions?: IAdditionalCredentialOptions,
	): Promise<unknown> {
		return await n8nHttpRequestWithAuthentication.call(
			getContext() as never,
			credentialsType,
			requestOptions,
			workflow,
			node,
			additionalData,
			additionalCredentialOptions,
		);
	};
}
