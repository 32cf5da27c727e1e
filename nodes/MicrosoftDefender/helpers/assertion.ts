/**
 * Client assertions (private_key_jwt) for the certificate flow, built with node:crypto.
 * Default PS256 + `x5t#S256` (current Entra docs); RS256 + `x5t` as the long-standing form.
 */
import { X509Certificate, constants, createHash, createPrivateKey, randomUUID, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

import { base64UrlEncode } from './jwt';

export type AssertionAlgorithm = 'PS256' | 'RS256';

export class CertificateError extends Error {}

export interface CertificateThumbprints {
	/** base64url(SHA-1 of the DER certificate) — the `x5t` header. */
	x5t: string;
	/** base64url(SHA-256 of the DER certificate) — the `x5t#S256` header. */
	x5tS256: string;
	/** Hex SHA-1 thumbprint as the Entra portal shows it. */
	sha1Hex: string;
}

/** Normalises PEM pasted into a single-line field (spaces instead of newlines, literal \n). */
export function normalizePem(pem: string): string {
	let text = String(pem ?? '').replace(/\\n/g, '\n').replace(/\r/g, '').trim();
	const m = /^(-----BEGIN [A-Z0-9 ]+-----)\s*([\s\S]*?)\s*(-----END [A-Z0-9 ]+-----)$/.exec(text);
	if (m && !m[2].includes('\n') && !/^[A-Za-z-]+:/.test(m[2])) {
		const body = m[2].replace(/\s+/g, '');
		text = `${m[1]}\n${(body.match(/.{1,64}/g) ?? []).join('\n')}\n${m[3]}`;
	}
	return text;
}

export function certificateThumbprints(certificatePem: string): CertificateThumbprints {
	const pem = normalizePem(certificatePem);
	if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
		throw new CertificateError(
			'The certificate is not a PEM certificate (it must start with -----BEGIN CERTIFICATE-----)',
		);
	}
	let der: Buffer | undefined;
	try {
		der = new X509Certificate(pem).raw;
	} catch {
		der = undefined;
	}
	if (!der) {
		throw new CertificateError('The certificate could not be read; paste the PEM text of the certificate');
	}
	const sha1 = createHash('sha1').update(der).digest();
	return {
		x5t: base64UrlEncode(sha1),
		x5tS256: base64UrlEncode(createHash('sha256').update(der).digest()),
		sha1Hex: sha1.toString('hex').toUpperCase(),
	};
}

export function loadPrivateKey(privateKeyPem: string, passphrase?: string): KeyObject {
	const pem = normalizePem(privateKeyPem);
	if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
		throw new CertificateError(
			'The private key is not a PEM private key (it must start with -----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----)',
		);
	}
	let key: KeyObject | undefined;
	try {
		key = createPrivateKey(passphrase ? { key: pem, passphrase } : { key: pem });
	} catch {
		key = undefined;
	}
	if (!key) {
		throw new CertificateError(
			passphrase
				? 'The private key could not be read; check the key and its passphrase'
				: 'The private key could not be read; if it is encrypted, enter its passphrase',
		);
	}
	if (key.asymmetricKeyType !== 'rsa') {
		throw new CertificateError('The private key must be an RSA key');
	}
	return key;
}

export interface ClientAssertionInput {
	clientId: string;
	/** The token endpoint the assertion is sent to (its `aud`). */
	tokenUrl: string;
	privateKeyPem: string;
	certificatePem: string;
	passphrase?: string;
	algorithm?: AssertionAlgorithm;
	/** Seconds since epoch (tests). */
	now?: number;
	lifetimeSeconds?: number;
}

export function buildClientAssertion(input: ClientAssertionInput): string {
	const algorithm = input.algorithm ?? 'PS256';
	const thumbs = certificateThumbprints(input.certificatePem);
	const key = loadPrivateKey(input.privateKeyPem, input.passphrase);
	const now = input.now ?? Math.floor(Date.now() / 1000);
	const header =
		algorithm === 'PS256'
			? { alg: 'PS256', typ: 'JWT', 'x5t#S256': thumbs.x5tS256 }
			: { alg: 'RS256', typ: 'JWT', x5t: thumbs.x5t };
	const claims = {
		aud: input.tokenUrl,
		iss: input.clientId,
		sub: input.clientId,
		jti: randomUUID(),
		nbf: now,
		iat: now,
		exp: now + (input.lifetimeSeconds ?? 600),
	};
	const signingInput = `${base64UrlEncode(JSON.stringify(header))}.${base64UrlEncode(JSON.stringify(claims))}`;
	const signature =
		algorithm === 'PS256'
			? sign('sha256', Buffer.from(signingInput), {
					key,
					padding: constants.RSA_PKCS1_PSS_PADDING,
					saltLength: 32,
				})
			: sign('sha256', Buffer.from(signingInput), key);
	return `${signingInput}.${base64UrlEncode(signature)}`;
}
