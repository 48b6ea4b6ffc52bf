import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {imageTag, multusReleases, resolveRelease} from '../../../source/multus/versions.js';

describe('resolveRelease: an image tag names what the daemon runs', () => {
	test('exact upstream and distribution tags', () => {
		for (const [image, version] of [
			['ghcr.io/k8snetworkplumbingwg/multus-cni:v4.2.4-thick', 'v4.2.4'],
			['ghcr.io/k8snetworkplumbingwg/multus-cni:v4.1.4', 'v4.1.4'],
			['k8snetworkplumbingwg/multus-cni:v3.9.3-thick-amd64', 'v3.9.3'],
			['rancher/hardened-multus-thick:v4.2.2-build20250612', 'v4.2.2'],
			['registry.local:5000/multus-cni:v4.3.0', 'v4.3.0'],
		] as const) {
			const resolved = resolveRelease(image);
			assert.equal(resolved.release.version, version, image);
			assert.equal(resolved.how, 'exact');
			assert.equal(resolved.note, undefined);
		}
	});

	test('floating tags follow master, with a note', () => {
		for (const tag of ['snapshot-thick', 'snapshot', 'latest', 'stable-thick']) {
			const resolved = resolveRelease(`ghcr.io/k8snetworkplumbingwg/multus-cni:${tag}`);
			assert.equal(resolved.release.version, 'master', tag);
			assert.equal(resolved.how, 'floating');
			assert.match(resolved.note ?? '', /master/);
		}
		assert.equal(resolveRelease('ghcr.io/k8snetworkplumbingwg/multus-cni').tag, 'latest');
	});

	test('a release between known ones reads as the nearest known one before it', () => {
		const resolved = resolveRelease('ghcr.io/k8snetworkplumbingwg/multus-cni:v4.2.3-thick');
		assert.equal(resolved.release.version, 'v4.2.2');
		assert.equal(resolved.how, 'nearest');
		assert.equal(resolveRelease('x/multus-cni:v4.1.2').release.informers.length, 2);
		assert.equal(resolveRelease('x/multus-cni:v4.0.0-thick').release.informers.length, 0);
	});

	test('unknown: digest-only, newer than known, another product version: the newest known needs, with a note', () => {
		for (const image of [
			'ghcr.io/k8snetworkplumbingwg/multus-cni@sha256:0123456789abcdef',
			'ghcr.io/k8snetworkplumbingwg/multus-cni:v9.0.0-thick',
			'openshift/origin-multus-cni:4.18',
			'example/thing:banana',
		]) {
			const resolved = resolveRelease(image);
			assert.equal(resolved.how, 'unknown', image);
			assert.equal(resolved.release, multusReleases.at(-1));
			assert.ok((resolved.note ?? '').length > 0);
		}
	});

	test('imageTag', () => {
		assert.equal(imageTag('host:5000/a/b:v1@sha256:aa'), 'v1');
		assert.equal(imageTag('host:5000/a/b'), 'latest');
		assert.equal(imageTag('a/b@sha256:aa'), undefined);
	});
});
