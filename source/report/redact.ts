// Redaction for what `kubectl multus report` shares: tokens, certificates, private keys, IP addresses and the host
// names it knows (the nodes', the API server's). Each distinct value becomes one placeholder, the same wherever it
// appears (`[REDACTED-IP-2]` in a log line and in the DaemonSet is the same address), so a redacted report can
// still be read; and the redactor counts what it replaced, per kind, for the report to say. Pure.

export const redactionKinds = ['token', 'certificate', 'key', 'ip', 'hostname'] as const;
export type RedactionKind = (typeof redactionKinds)[number];

export type RedactionCounts = Record<RedactionKind, number>;

export interface Redactor {
	/** `text` with every secret-looking value and known host name replaced by its placeholder. */
	text(text: string): string;
	/**
	 * A log read, redacted as `text` but with its lines kept: a value that spans lines (a PEM block) leaves the lines
	 * it took empty, so line N of the redacted read is line N of the read (and an excerpt cut from it is safe).
	 */
	log(text: string): string;
	/** A copy of `value` with every string in it (object keys too) redacted. */
	value<T>(value: T): T;
	/** How many distinct values of each kind were replaced so far. */
	counts(): RedactionCounts;
}

/** `[REDACTED-IP-3]`: upper-case kind, a number per distinct value. */
export function placeholder(kind: RedactionKind, index: number): string {
	return `[REDACTED-${kind.toUpperCase()}-${index}]`;
}

/** A placeholder as it appears in redacted text. */
export const placeholderPattern = /\[REDACTED-(TOKEN|CERTIFICATE|KEY|IP|HOSTNAME)-\d+\]/g;

const octet = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const ipv4 = new RegExp(`(?<![\\d.])${octet}(?:\\.${octet}){3}(?!\\.?\\d)`, 'g');
const hex = '[0-9A-Fa-f]{1,4}';
// Eight groups, or a `::` with groups on at least one side; never inside a longer word or a time (22:38:09 has no ::).
const ipv6 = new RegExp(`(?<![\\w:.])(?:(?:${hex}:){7}${hex}|(?:${hex}(?::${hex}){0,6})?::(?:${hex}(?::${hex}){0,6})?)(?![\\w:])`, 'g');

/** Addresses that say nothing about a cluster: loopback and unspecified. */
function uninteresting(address: string): boolean {
	return /^127\./.test(address) || address === '0.0.0.0' || address === '::1' || address === '::';
}

interface Rule {
	pattern: RegExp;
	/** Which part of a match is the secret (default: all of it), and its kind. */
	group?: number;
	kind: (secret: string) => RedactionKind | undefined;
	/** What makes two matches the same value (default: the text matched): a base64 PEM is its PEM. */
	same?: (secret: string) => string;
}

const rules: Rule[] = [
	// PEM blocks, also with escaped newlines (\n in JSON or logs): a private key or a certificate. A BEGIN with no END
	// (a line cut short, a key pasted in part) is taken to the end of the text: what follows it may be the key.
	{pattern: /-----BEGIN ([A-Z0-9 ]+)-----(?:[\s\S]*?-----END \1-----|[\s\S]*)/g, kind: secret => (/PRIVATE KEY/.test(secret) ? 'key' : 'certificate'), same: pemIdentity},
	// A PEM block in base64 (kubeconfig's *-data, Secrets): "-----BEGIN" encodes to LS0tLS1CRUdJTi.
	{pattern: /LS0tLS1CRUdJTi[A-Za-z0-9+/]*={0,2}/g, kind: secret => (/PRIVATE KEY/.test(decoded(secret)) ? 'key' : 'certificate'), same: secret => pemIdentity(decoded(secret))},
	// JSON Web Tokens (ServiceAccount tokens, OIDC id tokens): base64url header starting {" , payload, signature.
	{pattern: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, kind: () => 'token'},
	{pattern: /\b(?:ghp|gho|ghu|ghs|ghr|github_pat)_[A-Za-z0-9_]{20,}/g, kind: () => 'token'},
	{pattern: /\bAKIA[0-9A-Z]{16}\b/g, kind: () => 'token'},
	// Kubernetes bootstrap tokens: [a-z0-9]{6}.[a-z0-9]{16}.
	{pattern: /(?<![A-Za-z0-9.])[a-z0-9]{6}\.[a-z0-9]{16}(?![A-Za-z0-9.])/g, kind: () => 'token'},
	// Authorization: Bearer ..., Basic ...
	{pattern: /\b(?:Bearer|Basic)\s+([A-Za-z0-9._~+/=-]{8,})/g, group: 1, kind: () => 'token'},
	// token=..., --password=..., "client_secret": "..."
	{
		pattern: /(?<![A-Za-z0-9])(?:token|password|passwd|secret|client[-_]?secret|api[-_]?key|access[-_]?key|private[-_]?key)(?:=|"\s*:\s*")([^\s"'&,;]{4,})/gi,
		group: 1,
		kind: secret => (secret.startsWith('[REDACTED-') ? undefined : 'token'),
	},
	{pattern: ipv4, kind: secret => (uninteresting(secret) ? undefined : 'ip')},
	{pattern: ipv6, kind: secret => (uninteresting(secret) || !/[0-9A-Fa-f]:|:[0-9A-Fa-f]/.test(secret) ? undefined : 'ip')},
];

/** Words that make a key or a flag name a secret (`db-password`, `--api-token`, `clientSecret`, `agent-inject-token`). */
const secretWords = /^(?:pass|passwd|password|passphrase|pwd|token|secret|key|apikey|credential|credentials|auth|authorization|cookie|session)$|(?:token|secret|password|passwd|apikey|credentials?)$/;
/** Words that, last in a name, make it name where a secret is or what it is like, not the secret: `--tls-key-file`. */
const aboutSecret = /^(?:file|path|dir|directory|name|ttl|type|mode|id|ref|length|size)$/;

/**
 * Whether a key (an annotation's, a setting's) or a flag (`--api-token`, `-password`) names a secret, so that its
 * value is not shown. Its words are split at anything not a letter or digit and at camelCase.
 */
export function namesSecret(name: string): boolean {
	const words = name
		.replace(/([a-z0-9])([A-Z])/g, '$1-$2')
		.toLowerCase()
		.split(/[^a-z0-9]+/)
		.filter(Boolean);
	if (words.length === 0 || aboutSecret.test(words.at(-1)!)) return false;
	return words.some(word => secretWords.test(word));
}

/** A PEM block whatever its line ends (real, or escaped as \n in JSON and logs): the same key or certificate. */
function pemIdentity(pem: string): string {
	return pem.replace(/\\n|\s/g, '');
}

function decoded(base64: string): string {
	try {
		return Buffer.from(base64, 'base64').toString('latin1');
	} catch {
		return '';
	}
}

function escapeRegExp(text: string): string {
	return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A redactor for one report: `hosts` are the host names to hide (node names, the API server's host); addresses
 * need no list. Host names are matched whole (not inside a longer name of letters, digits and dashes).
 */
export function redactor(options: {hosts: readonly string[]}): Redactor {
	const seen = new Map<RedactionKind, Map<string, string>>(redactionKinds.map(kind => [kind, new Map()]));
	const replace = (kind: RedactionKind, secret: string): string => {
		const values = seen.get(kind)!;
		let shown = values.get(secret);
		if (shown === undefined) {
			shown = placeholder(kind, values.size + 1);
			values.set(secret, shown);
		}
		return shown;
	};
	const hosts = [...new Set(options.hosts.filter(host => host.length > 0 && !/^[\d.:]+$/.test(host)))].sort((a, b) => b.length - a.length);
	const hostPattern = hosts.length > 0 ? new RegExp(`(?<![A-Za-z0-9-])(?:${hosts.map(escapeRegExp).join('|')})(?![A-Za-z0-9-])`, 'g') : undefined;

	const redact = (input: string, keepLines: boolean): string => {
		let output = input;
		for (const rule of rules) {
			output = output.replace(rule.pattern, (match: string, ...groups: unknown[]) => {
				const secret = rule.group === undefined ? match : String(groups[rule.group - 1] ?? '');
				const kind = rule.kind(secret);
				if (kind === undefined || secret === '') return match;
				const shown = replace(kind, rule.same ? rule.same(secret) : secret) + (keepLines ? '\n'.repeat(secret.split('\n').length - 1) : '');
				return rule.group === undefined ? shown : match.slice(0, match.lastIndexOf(secret)) + shown + match.slice(match.lastIndexOf(secret) + secret.length);
			});
		}
		if (hostPattern) output = output.replace(hostPattern, host => replace('hostname', host));
		return output;
	};
	const text = (input: string): string => redact(input, false);
	const value = <T>(input: T): T => {
		if (typeof input === 'string') return text(input) as T;
		if (Array.isArray(input)) return input.map(item => value(item)) as T;
		if (input !== null && typeof input === 'object') {
			return Object.fromEntries(Object.entries(input as Record<string, unknown>).map(([key, item]) => [text(key), value(item)])) as T;
		}
		return input;
	};
	return {
		text,
		log: input => redact(input, true),
		value,
		counts: () => Object.fromEntries(redactionKinds.map(kind => [kind, seen.get(kind)!.size])) as RedactionCounts,
	};
}

/** A redactor that changes nothing and counts nothing (--no-redact). */
export function keepEverything(): Redactor {
	return {text: input => input, log: input => input, value: input => input, counts: () => Object.fromEntries(redactionKinds.map(kind => [kind, 0])) as RedactionCounts};
}
