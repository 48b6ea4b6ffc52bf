// What the local cluster's kubelet stand-in (scripts/multus-pods.ts) knows about a Multus pod on a fake node, shared
// by the real daemons it runs (scripts/multus-daemon.ts) and the simulator (scripts/multus-sim.ts): which container
// is Multus, thick or thin, its identity and environment as a kubelet resolves them, the daemon config it mounts,
// the CRI log format kwok serves to `kubectl logs`, and which built multus-daemon serves its image's release.
import {appendFileSync} from 'node:fs';
import path from 'node:path';
import type {CoreV1Api, CustomObjectsApi, V1Container, V1Pod} from '@kubernetes/client-node';
import {resolveRelease, runsInformers, type MultusRelease} from '../source/multus/versions.js';

export interface MultusPod {
	namespace: string;
	name: string;
	uid: string;
	node: string;
	serviceAccount: string;
	container: V1Container;
	image: string;
	/** command and args, as one line (what the simulator reads settings from). */
	commandLine: string;
	thick: boolean;
	/** The container's environment as a kubelet sets it: literal values and the pod fields they refer to. */
	env: Record<string, string>;
	/** Seconds a stopping daemon gets between SIGTERM and SIGKILL. */
	gracePeriodSeconds: number;
	pod: V1Pod;
}

/** The Multus container of a pod scheduled to a node (the first whose image names multus), or undefined. */
export function multusPod(pod: V1Pod): MultusPod | undefined {
	const meta = pod.metadata;
	const container = pod.spec?.containers.find(c => /multus/.test(c.image ?? ''));
	if (!meta?.uid || !meta.name || !meta.namespace || !pod.spec?.nodeName || !container) return undefined;
	const commandLine = [...(container.command ?? []), ...(container.args ?? [])].join(' ');
	const image = container.image ?? '';
	return {
		namespace: meta.namespace,
		name: meta.name,
		uid: meta.uid,
		node: pod.spec.nodeName,
		serviceAccount: pod.spec.serviceAccountName || pod.spec.serviceAccount || 'default',
		container,
		image,
		commandLine,
		thick: /multus-daemon/.test(commandLine) || (!/thin_entrypoint|entrypoint\.sh/.test(commandLine) && /thick/.test(image)),
		env: containerEnv(pod, container),
		gracePeriodSeconds: pod.spec.terminationGracePeriodSeconds ?? 30,
		pod,
	};
}

function containerEnv(pod: V1Pod, container: V1Container): Record<string, string> {
	const fields: Record<string, string | undefined> = {
		'spec.nodeName': pod.spec?.nodeName,
		'metadata.name': pod.metadata?.name,
		'metadata.namespace': pod.metadata?.namespace,
		'metadata.uid': pod.metadata?.uid,
		'spec.serviceAccountName': pod.spec?.serviceAccountName,
		'status.hostIP': pod.status?.hostIP,
		'status.podIP': pod.status?.podIP,
	};
	const env: Record<string, string> = {};
	for (const variable of container.env ?? []) {
		const value = variable.value ?? (variable.valueFrom?.fieldRef ? fields[variable.valueFrom.fieldRef.fieldPath] : undefined);
		if (value !== undefined) env[variable.name] = value;
	}
	return env;
}

/** The daemon's -config path inside the container (Go's flag package takes -config and --config, with = or a space). */
export function daemonConfigPath(commandLine: string): string {
	return /(?:^|\s)--?config(?:=|\s+)(\S+)/.exec(commandLine)?.[1] ?? '/etc/cni/net.d/multus.d/daemon-config.json';
}

/**
 * The file at the daemon's -config path as the container would see it, through its volume mounts into a ConfigMap
 * (plain or projected, with or without `items`); undefined when no ConfigMap provides it, as the real daemon then
 * finds no file.
 */
export async function mountedDaemonConfig(core: CoreV1Api, pod: MultusPod): Promise<string | undefined> {
	const file = daemonConfigPath(pod.commandLine);
	const mounts = [...(pod.container.volumeMounts ?? [])].sort((a, b) => b.mountPath.length - a.mountPath.length);
	const mount = mounts.find(m => file.startsWith(`${m.mountPath.replace(/\/$/, '')}/`));
	if (!mount) return undefined;
	const relative = file.slice(mount.mountPath.replace(/\/$/, '').length + 1);
	const volume = pod.pod.spec?.volumes?.find(v => v.name === mount.name);
	const sources = [
		...(volume?.configMap ? [volume.configMap] : []),
		...(volume?.projected?.sources ?? []).flatMap(source => (source.configMap ? [source.configMap] : [])),
	];
	for (const source of sources) {
		const key = source.items ? source.items.find(item => item.path === relative)?.key : relative;
		if (!key || !source.name) continue;
		try {
			const cm = await core.readNamespacedConfigMap({namespace: pod.namespace, name: source.name});
			const text = cm.data?.[key];
			if (text !== undefined) return text;
		} catch {
			// No such ConfigMap: a real kubelet would not start the pod; here the daemon finds no file.
		}
	}
	return undefined;
}

export type Stream = 'stdout' | 'stderr';

/** One line of a CRI container log (what kwok reads for `kubectl logs`): `<RFC3339Nano> <stream> F <text>`. */
export function criLine(at: Date, stream: Stream, text: string): string {
	return `${at.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z')} ${stream} F ${text}\n`;
}

export function appendCri(file: string, lines: Array<[Stream, string]>, at = new Date()): void {
	appendFileSync(file, lines.map(([stream, text]) => criLine(at, stream, text)).join(''));
}

/** multus's own log timestamp (Go's time.RFC3339). */
export function rfc3339(at: Date): string {
	return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The pod's CRI log file in the cluster's log directory. */
export function logFileOf(dir: string, pod: MultusPod): string {
	return path.join(dir, `${pod.namespace}_${pod.name}_${pod.uid}.log`);
}

/** Points `kubectl logs` for the pod at its log file: a kwok Logs object, owned by the pod (collected with it). */
export async function publishLogs(custom: CustomObjectsApi, pod: MultusPod, file: string): Promise<void> {
	try {
		await custom.createNamespacedCustomObject({
			group: 'kwok.x-k8s.io', version: 'v1alpha1', plural: 'logs', namespace: pod.namespace,
			body: {
				apiVersion: 'kwok.x-k8s.io/v1alpha1', kind: 'Logs',
				metadata: {name: pod.name, namespace: pod.namespace, ownerReferences: [{apiVersion: 'v1', kind: 'Pod', name: pod.name, uid: pod.uid}]},
				spec: {logs: [{logsFile: file}]},
			},
		});
	} catch (error) {
		if ((error as {code?: number}).code !== 409) throw error;
	}
}

/** The Multus release a pod's image runs (source/multus/versions.ts reads the tag; floating tags are master). */
export function releaseOf(pod: MultusPod): MultusRelease {
	return resolveRelease(pod.image).release;
}

const builtVersions = (process.env['MULTUS_VERSIONS'] ?? '').split(/\s+/).filter(Boolean);

/**
 * Which built multus-daemon (scripts/build-multus, MULTUS_VERSIONS) serves a release: the built patch of the same
 * minor; for master, and for a release newer than every built one, the newest built. Undefined for a release that
 * runs no informer (thick v4.0 and older: nothing of what the doctor looks at) and for one older than every built
 * minor: those pods are simulated.
 */
export function daemonVersionFor(release: MultusRelease): string | undefined {
	if (!runsInformers(release) || builtVersions.length === 0) return undefined;
	if (release.version === 'master') return builtVersions.at(-1);
	const minor = (version: string) => /^v(\d+)\.(\d+)/.exec(version)?.slice(1, 3).map(Number) ?? [0, 0];
	const [major, min] = minor(release.version);
	const same = builtVersions.filter(v => minor(v)[0] === major && minor(v)[1] === min).at(-1);
	if (same) return same;
	const newest = minor(builtVersions.at(-1)!);
	if (major! > newest[0]! || (major === newest[0] && min! > newest[1]!)) return builtVersions.at(-1);
	return undefined;
}
