// The local cluster's kubelet stand-in (scripts/multus-daemon.ts): a pod deleted while its daemon is still being
// set up (its token requested, its ConfigMap read) must leave no directory behind. One did once: a status.json
// of a daemon that never ran, which realDaemons() counted as a fourth daemon on a three-node cluster, failing
// upstream.test.ts three times over.
import assert from 'node:assert/strict';
import {existsSync, mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {after, describe, test} from 'node:test';
import type {CoreV1Api, V1Pod} from '@kubernetes/client-node';
import {RealDaemon} from '../../../scripts/multus-daemon.js';
import {multusPod} from '../../../scripts/multus-pod.js';

const root = mkdtempSync(path.join(tmpdir(), 'real-daemon-'));
after(() => rmSync(root, {recursive: true, force: true}));

const pod: V1Pod = {
	metadata: {name: 'kube-multus-ds-abcde', namespace: 'kube-system', uid: 'c731e116-dde8-4542-9b20-7ac8931caa3c'},
	spec: {
		nodeName: 'node-000001',
		serviceAccountName: 'multus',
		containers: [{
			name: 'kube-multus',
			image: 'ghcr.io/k8snetworkplumbingwg/multus-cni:snapshot-thick',
			command: ['/usr/src/multus-cni/bin/multus-daemon'],
			volumeMounts: [{name: 'config', mountPath: '/etc/cni/net.d/multus.d'}],
		}],
		volumes: [{name: 'config', configMap: {name: 'multus-daemon-config', items: [{key: 'daemon-config.json', path: 'daemon-config.json'}]}}],
	},
};

const daemonConfig = JSON.stringify({chrootDir: '/hostroot', cniConfigDir: '/host/etc/cni/net.d', socketDir: '/host/run/multus/'});

/** A daemon whose ConfigMap read waits until `release` is called; `dir` is its pod directory. */
function daemonWithSlowConfigMap(name: string) {
	let release!: () => void;
	let asked!: () => void;
	const configMapAsked = new Promise<void>(resolve => (asked = resolve));
	const answered = new Promise<void>(resolve => (release = resolve));
	const core = {
		createNamespacedServiceAccountToken: async () => ({status: {token: 'a-token'}}),
		readNamespacedConfigMap: async () => {
			asked();
			await answered;
			return {data: {'daemon-config.json': daemonConfig}};
		},
	} as unknown as CoreV1Api;
	const dir = path.join(root, name);
	const daemon = new RealDaemon(multusPod(pod)!, {
		core, apiserver: {host: '127.0.0.1', port: '6443'}, caCert: 'CA', dir, logFile: path.join(root, `${name}.log`),
		// Never spawned: a stopped daemon is not started.
		binary: path.join(root, 'no-such-multus-daemon'), version: 'v4.3.0',
	});
	return {daemon, dir, release, configMapAsked};
}

describe('a real daemon whose pod is deleted while it starts', () => {
	test('stopped while its ConfigMap is read: its directory is gone once both are done, no status.json of a daemon that never ran', async () => {
		const {daemon, dir, release, configMapAsked} = daemonWithSlowConfigMap('during-config');
		const started = daemon.start();
		await configMapAsked;
		assert.ok(existsSync(dir), 'the start has begun writing the pod directory');
		const stopped = daemon.stop();
		release();
		await Promise.all([started, stopped]);
		assert.equal(existsSync(path.join(dir, 'status.json')), false, 'no status of a daemon that never ran');
		assert.equal(existsSync(dir), false, 'the pod directory is removed');
		assert.equal(daemon.status.pid, null, 'never spawned');
	});

	test('stopped before its start was called (deleted while its log was published): the start writes nothing', async () => {
		const {daemon, dir, release} = daemonWithSlowConfigMap('before-start');
		release();
		await daemon.stop();
		await daemon.start();
		assert.equal(existsSync(dir), false);
		assert.equal(daemon.status.pid, null);
	});

	test('a daemon waited on (scripts/cluster apply waits for its start) is let go when it is stopped', async () => {
		const {daemon, release} = daemonWithSlowConfigMap('waited');
		const started = daemon.start();
		const stopped = daemon.stop();
		release();
		await Promise.all([started, stopped]);
		await Promise.race([daemon.started, new Promise((_, reject) => setTimeout(() => reject(new Error('started never resolved')), 1000))]);
	});
});
