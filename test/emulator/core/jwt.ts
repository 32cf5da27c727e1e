/** Minimal JWS (compact) helpers on node:crypto: RS256 and PS256, sign + verify. */
import * as crypto from 'node:crypto';

export type JwtAlg = 'RS256' | 'PS256';

export function b64url(input: Buffer | string): string {
	return Buffer.from(input).toString('base64url');
}

export function b64urlJson(value: unknown): string {
	return b64url(JSON.stringify(value));
}

export interface DecodedJwt {
	header: Record<string, unknown>;
	payload: Record<string, unknown>;
	signingInput: string;
	signature: Buffer;
}

/** Splits and parses a compact JWS; returns undefined when it is not one. */
export function decodeJwt(token: string): DecodedJwt | undefined {
	const parts = token.split('.');
	if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) return undefined;
	try {
		const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
		const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
		if (!header || typeof header !== 'object' || !payload || typeof payload !== 'object')
			return undefined;
		return {
			header,
			payload,
			signingInput: `${parts[0]}.${parts[1]}`,
			signature: Buffer.from(parts[2], 'base64url'),
		};
	} catch {
		return undefined;
	}
}

function padding(alg: JwtAlg) {
	return alg === 'PS256'
		? { padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }
		: { padding: crypto.constants.RSA_PKCS1_PADDING };
}

export function signJwt(
	header: Record<string, unknown>,
	payload: Record<string, unknown>,
	key: crypto.KeyObject | string,
	alg: JwtAlg = 'RS256',
): string {
	const input = `${b64urlJson({ ...header, alg })}.${b64urlJson(payload)}`;
	const sig = crypto.sign('sha256', Buffer.from(input), {
		key,
		...padding(alg),
	} as crypto.SignKeyObjectInput);
	return `${input}.${b64url(sig)}`;
}

export function verifyJwtSignature(
	decoded: DecodedJwt,
	key: crypto.KeyObject,
	alg: JwtAlg,
): boolean {
	try {
		return crypto.verify(
			'sha256',
			Buffer.from(decoded.signingInput),
			{ key, ...padding(alg) } as crypto.VerifyKeyObjectInput,
			decoded.signature,
		);
	} catch {
		return false;
	}
}

/** `x5t` (SHA-1) and `x5t#S256` (SHA-256) thumbprints of a PEM certificate, base64url. */
export function certThumbprints(certPem: string): {
	x5t: string;
	x5tS256: string;
	sha1Hex: string;
	sha256Hex: string;
} {
	const cert = new crypto.X509Certificate(certPem);
	const sha1 = crypto.createHash('sha1').update(cert.raw).digest();
	const sha256 = crypto.createHash('sha256').update(cert.raw).digest();
	return {
		x5t: b64url(sha1),
		x5tS256: b64url(sha256),
		sha1Hex: sha1.toString('hex').toUpperCase(),
		sha256Hex: sha256.toString('hex').toUpperCase(),
	};
}
