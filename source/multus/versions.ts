// What each Multus release's daemon runs, and how an image tag names a release. Pure.
//
// Derived from the upstream module's own code and manifests at each tag (multus-facts.md sections 1-3,
// real-daemon.md): cmd/multus-daemon/main.go and pkg/server/server.go. Thick daemons from v4.1.0 start a pod
// informer (filtered to their node by MULTUS_NODE_NAME) and a NetworkAttachmentDefinition informer over all
// namespaces, wait up to 20 s for each cache, then print "API readiness check done!". Older thick images run no
// informer. Master (the floating snapshot tags) also reads DRA objects (resource.k8s.io) for pods that claim them.

export type InformerName = 'pod' | 'net-attach-def';

/** How the daemon finds a pod on CNI ADD when its informer cache does not have it. */
export type PodLookup = 'live' | 'cache-only' | 'cache-then-live';

export interface MultusRelease {
	/** e.g. "v4.2.4"; "master" for the floating snapshot images. */
	version: string;
	/** The client-go the daemon is built with: it decides the shape of the reflector's log lines. */
	clientGo: string;
	/** Informers the thick daemon starts and waits for before it serves (empty: none, the daemon reads live). */
	informers: InformerName[];
	podLookup: PodLookup;
	/** The daemon reads DRA ResourceClaims and ResourceSlices (resource.k8s.io) for pods that claim devices. */
	dra: boolean;
	/** Seconds the daemon waits for each informer cache before it logs "failed to sync ... informer cache" and serves. */
	syncTimeoutSeconds: number;
}

const informers: InformerName[] = ['pod', 'net-attach-def'];

/** Known releases, oldest first. The last entry is what a floating tag (snapshot, snapshot-thick) runs. */
export const multusReleases: readonly MultusRelease[] = [
	{version: 'v3.9.3', clientGo: 'v0.22', informers: [], podLookup: 'live', dra: false, syncTimeoutSeconds: 0},
	{version: 'v4.0.2', clientGo: 'v0.26', informers: [], podLookup: 'live', dra: false, syncTimeoutSeconds: 0},
	{version: 'v4.1.0', clientGo: 'v0.29.0', informers, podLookup: 'cache-only', dra: false, syncTimeoutSeconds: 20},
	{version: 'v4.1.4', clientGo: 'v0.29.0', informers, podLookup: 'cache-only', dra: false, syncTimeoutSeconds: 20},
	{version: 'v4.2.0', clientGo: 'v0.29.0', informers, podLookup: 'cache-then-live', dra: false, syncTimeoutSeconds: 20},
	{version: 'v4.2.2', clientGo: 'v0.32.5', informers, podLookup: 'cache-then-live', dra: false, syncTimeoutSeconds: 20},
	{version: 'v4.2.4', clientGo: 'v0.34.1', informers, podLookup: 'cache-then-live', dra: false, syncTimeoutSeconds: 20},
	{version: 'v4.3.0', clientGo: 'v0.35.2', informers, podLookup: 'cache-then-live', dra: false, syncTimeoutSeconds: 20},
	{version: 'master', clientGo: 'v0.36.2', informers, podLookup: 'cache-then-live', dra: true, syncTimeoutSeconds: 20},
];

/** How a DaemonSet's image was read as a release. */
export interface ResolvedRelease {
	release: MultusRelease;
	/** The tag as written (undefined for a digest-only image). */
	tag: string | undefined;
	/**
	 * exact: the tag names a known release; nearest: a release between known ones, read as the newest known one not
	 * after it; floating: a moving tag (snapshot, latest), read as master; unknown: no version in the tag, read as the
	 * newest known needs.
	 */
	how: 'exact' | 'nearest' | 'floating' | 'unknown';
	/** A sentence for the user when the reading is not exact. */
	note: string | undefined;
}

const newest = multusReleases.at(-1)!;
const floatingTags = /^(?:snapshot|latest|stable|master|main|dev)(?:[-_.].*)?$/i;
// v4.2.2, v4.2.2-thick, 4.2.2, v4.2.2-build20250612, v4.1.0-thick-amd64, v4.2 (two parts)
const versionInTag = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?![\d])/;

function parse(version: string): [number, number, number] | undefined {
	const match = versionInTag.exec(version);
	if (!match) return undefined;
	return [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
}

function compare(a: [number, number, number], b: [number, number, number]): number {
	return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** The tag of an image reference: undefined for a digest-only reference, "latest" when none is written. */
export function imageTag(image: string): string | undefined {
	const withoutDigest = image.split('@')[0] ?? image;
	const lastSlash = withoutDigest.lastIndexOf('/');
	const colon = withoutDigest.indexOf(':', lastSlash + 1);
	return colon === -1 ? (image.includes('@') ? undefined : 'latest') : withoutDigest.slice(colon + 1);
}

/**
 * The Multus release an image runs, from its tag. Distribution images that carry the upstream version in the tag
 * (rancher/hardened-multus-thick:v4.2.2-build20250612) read as that version; images whose tag is another product's
 * version (openshift/origin-multus-cni:4.18) cannot be read and get the newest known needs, with a note.
 */
export function resolveRelease(image: string): ResolvedRelease {
	const tag = imageTag(image);
	if (tag === undefined) {
		return {release: newest, tag, how: 'unknown', note: `image ${image} is pinned by digest only: assumed to need what the newest known Multus (${newest.version}) needs`};
	}
	if (floatingTags.test(tag)) {
		return {release: newest, tag, how: 'floating', note: `tag ${tag} follows upstream master: read as what master runs now`};
	}
	const parsed = parse(tag);
	const upstream = /multus/i.test(image) && !/openshift|origin-multus|ose-multus/i.test(image);
	if (!parsed || !upstream || parsed[0] < 3) {
		return {release: newest, tag, how: 'unknown', note: `tag ${tag} of ${image} names no upstream Multus version: assumed to need what the newest known Multus (upstream master) needs`};
	}
	const exact = multusReleases.find(release => {
		const known = parse(release.version);
		return known !== undefined && compare(known, parsed) === 0;
	});
	if (exact) return {release: exact, tag, how: 'exact', note: undefined};
	const tagged = multusReleases.filter(release => parse(release.version));
	const newestTagged = tagged.at(-1)!;
	if (compare(parsed, parse(newestTagged.version)!) > 0) {
		return {release: newest, tag, how: 'unknown', note: `tag ${tag} is newer than the newest release known here (${newestTagged.version}): assumed to need what upstream master needs`};
	}
	const release = tagged.filter(known => compare(parse(known.version)!, parsed) <= 0).at(-1) ?? tagged[0]!;
	return {release, tag, how: 'nearest', note: `tag ${tag} read as ${release.version}, the nearest known release before it`};
}

/** Whether a thick daemon of this release starts informers (and so needs list and watch on what they watch). */
export function runsInformers(release: MultusRelease): boolean {
	return release.informers.length > 0;
}
