// Redaction for `kubectl multus report`: what is hidden (tokens, certificates, keys, addresses, the known host
// names), what is left alone (what an issue needs to be read: log lines, versions, images, times), one placeholder
// per distinct value everywhere, and the counts the report states.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import fc from 'fast-check';
import {keepEverything, placeholderPattern, redactor} from '../../../source/report/redact.js';

const jwt = 'eyJhbGciOiJSUzI1NiIsImtpZCI6IkFCQyJ9.eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50In0.c2lnbmF0dXJlLWJ5dGVzLWhlcmU';
const certificate = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ\n-----END CERTIFICATE-----';
const privateKey = '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIOx\n-----END EC PRIVATE KEY-----';

describe('redactor', () => {
	test('tokens, certificates and keys, in every form they travel in, become placeholders', () => {
		const r = redactor({hosts: []});
		const cases: Array<[string, RegExp]> = [
			[`Authorization: Bearer ${jwt}`, /^Authorization: Bearer \[REDACTED-TOKEN-1\]$/],
			[`token: ${jwt}`, /^token: \[REDACTED-TOKEN-1\]$/],
			[certificate, /^\[REDACTED-CERTIFICATE-1\]$/],
			[JSON.stringify(privateKey).slice(1, -1), /^\[REDACTED-KEY-1\]$/],
			// The same certificate in base64 is the same certificate: the same placeholder.
			[`client-certificate-data: ${Buffer.from(certificate).toString('base64')}`, /^client-certificate-data: \[REDACTED-CERTIFICATE-1\]$/],
			[`client-key-data: ${Buffer.from(privateKey).toString('base64')}`, /^client-key-data: \[REDACTED-KEY-1\]$/],
			['--token=abcdef.0123456789abcdef', /^--token=\[REDACTED-TOKEN-2\]$/],
			['join with abcdef.0123456789abcdef now', /^join with \[REDACTED-TOKEN-2\] now$/],
			['password=hunter2hunter2&x=1', /^password=\[REDACTED-TOKEN-3\]&x=1$/],
			['{"client_secret": "s3cr3t-value"}', /^\{"client_secret": "\[REDACTED-TOKEN-4\]"\}$/],
			['Basic dXNlcjpwYXNzd29yZA==', /^Basic \[REDACTED-TOKEN-5\]$/],
			['ghp_0123456789abcdefghijABCDEFGHIJ012345', /^\[REDACTED-TOKEN-6\]$/],
			['AKIAABCDEFGHIJKLMNOP', /^\[REDACTED-TOKEN-7\]$/],
		];
		for (const [input, expected] of cases) assert.match(r.text(input), expected, input);
		assert.deepEqual(r.counts(), {token: 7, certificate: 1, key: 1, ip: 0, hostname: 0});
	});

	test('addresses: IPv4 and IPv6, one placeholder per address; loopback and unspecified are kept', () => {
		const r = redactor({hosts: []});
		assert.equal(r.text('dial tcp 10.96.0.1:443: i/o timeout, again 10.96.0.1, then 192.168.1.20.'), 'dial tcp [REDACTED-IP-1]:443: i/o timeout, again [REDACTED-IP-1], then [REDACTED-IP-2].');
		assert.equal(r.text('[fd00:10:96::1]:443 and 2001:db8:0:0:0:0:0:1 and fe80::1ff:fe23:4567:890a'), '[[REDACTED-IP-3]]:443 and [REDACTED-IP-4] and [REDACTED-IP-5]');
		assert.equal(r.text('https://127.0.0.1:6443, 0.0.0.0:8080, [::1]:53'), 'https://127.0.0.1:6443, 0.0.0.0:8080, [::1]:53');
		assert.equal(r.counts().ip, 5);
	});

	test('the host names it is given, whole names only, wherever they are', () => {
		const r = redactor({hosts: ['node-1', 'api.prod.example.com', 'node-10', '']});
		assert.equal(r.text('Filtering pod watch for node "node-1"; node-10 and node-1x and my-node-1 stay'), 'Filtering pod watch for node "[REDACTED-HOSTNAME-1]"; [REDACTED-HOSTNAME-2] and node-1x and my-node-1 stay');
		assert.equal(r.text('https://api.prod.example.com:6443 system:multus:node-1'), 'https://[REDACTED-HOSTNAME-3]:6443 system:multus:[REDACTED-HOSTNAME-1]');
		assert.equal(r.counts().hostname, 3);
	});

	test("what an issue needs stays: the daemon's lines, klog headers, times, versions, images, digests, RBAC words", () => {
		const r = redactor({hosts: ['node-000000']});
		const kept = [
			'2026-12-01T12:58:19.635000000Z E1201 12:58:19.620994   21049 reflector.go:204] "Failed to watch" err="failed to list *v1.Pod: pods is forbidden: User \\"system:serviceaccount:kube-system:multus\\" cannot list resource \\"pods\\" in API group \\"\\" at the cluster scope" logger="UnhandledError" reflector="k8s.io/client-go/informers/factory.go:161" type="*v1.Pod"',
			'ghcr.io/k8snetworkplumbingwg/multus-cni:v4.2.4-thick@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
			'v1.36.3 v4.2.2-build20250612 1.2.3',
			'failed to list *v1.Secret: secrets is forbidden; token: read from the file; password reset',
			'kubectl-multus 0.1.0 (commit b22bbceb0807) selfsubjectaccessreviews ["authorization.k8s.io"]: create',
			'22:38:09 ab:cd:ef std::vector a::b::c',
		];
		for (const line of kept) assert.equal(r.text(line), line);
		assert.deepEqual(r.counts(), {token: 0, certificate: 0, key: 0, ip: 0, hostname: 0});
	});

	test('value: every string of an object, keys too, with the same placeholders; the input is not changed', () => {
		const r = redactor({hosts: ['node-1']});
		const input = {annotations: {'ip-10.1.2.3': `token=${jwt}`}, nodes: ['node-1', 'node-1'], count: 3, nothing: null};
		const output = r.value(input);
		assert.deepEqual(output, {annotations: {'ip-[REDACTED-IP-1]': 'token=[REDACTED-TOKEN-1]'}, nodes: ['[REDACTED-HOSTNAME-1]', '[REDACTED-HOSTNAME-1]'], count: 3, nothing: null});
		assert.equal(input.annotations['ip-10.1.2.3'], `token=${jwt}`);
		assert.equal(r.text('10.1.2.3'), '[REDACTED-IP-1]');
	});

	test('redacting twice changes nothing more', () => {
		const r = redactor({hosts: ['node-1']});
		const once = r.text(`node-1 ${jwt} 10.0.0.1 ${certificate}`);
		assert.equal(r.text(once), once);
		assert.deepEqual(r.counts(), {token: 1, certificate: 1, key: 0, ip: 1, hostname: 1});
	});

	test('keepEverything (--no-redact) keeps everything and counts nothing', () => {
		const keep = keepEverything();
		assert.equal(keep.text(`${jwt} 10.0.0.1`), `${jwt} 10.0.0.1`);
		assert.deepEqual(keep.counts(), {token: 0, certificate: 0, key: 0, ip: 0, hostname: 0});
	});

	test('property: a planted token, key, certificate, address or host name never survives, whatever surrounds it', () => {
		const base64url = fc.string({unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'), minLength: 8, maxLength: 40});
		const secret = fc.oneof(
			fc.tuple(base64url, base64url, base64url).map(([a, b, c]) => `eyJ${a}.eyJ${b}.${c}`),
			base64url.map(body => `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----`),
			base64url.map(body => Buffer.from(`-----BEGIN RSA PRIVATE KEY-----\n${body}\n-----END RSA PRIVATE KEY-----`).toString('base64')),
			fc.tuple(fc.integer({min: 1, max: 126}), fc.integer({min: 0, max: 255}), fc.integer({min: 0, max: 255}), fc.integer({min: 1, max: 254})).map(parts => parts.join('.')),
			fc.constantFrom('worker-17.example.internal', 'ip-10-0-3-7'),
		);
		// Not letters or digits: a host name is matched whole (node-1x is another name).
		const filler = fc.string({unit: fc.constantFrom(' ', '"', '=', ':', ',', '\n', '(', ')', '/', '[', ']', '{', '}', ';')});
		fc.assert(
			fc.property(filler, secret, filler, (before, planted, after) => {
				const r = redactor({hosts: ['worker-17.example.internal', 'ip-10-0-3-7']});
				const output = r.text(`${before}${planted}${after}`);
				assert.ok(!output.includes(planted), output);
				assert.match(output, new RegExp(placeholderPattern.source));
			}),
			{numRuns: 1000},
		);
	});
});
