/**
 * Inspektor Gadget's `tcpdump` gadget with `-o pcap-ng`
 * (inspektor-gadget/inspektor-gadget, gadgets/tcpdump) writes one interface
 * description block per (node, pod, container) it captured in, its
 * `if_description` the Kubernetes context as URL-escaped `key=value` pairs
 * joined by `;`: `k8s.node=…;k8s.namespace=…;k8s.podName=…;k8s.containerName=…`.
 * Its packets carry no capture time (every timestamp 0: the gadget's README
 * shows each packet at 00:00:00.000000 UTC).
 */

export interface GadgetContext {
  node: string | null;
  namespace: string | null;
  pod: string | null;
  container: string | null;
}

function unescape(v: string): string {
  // url.QueryEscape: '+' is a space, %XX a byte.
  try { return decodeURIComponent(v.replace(/\+/g, ' ')); } catch { return v; }
}

/** The Kubernetes context of an Inspektor Gadget interface description, or null when it is not one. */
export function gadgetContext(description: string | null): GadgetContext | null {
  if (!description || !description.includes('k8s.')) return null;
  const out: GadgetContext = { node: null, namespace: null, pod: null, container: null };
  let any = false;
  for (const part of description.split(';').slice(0, 32)) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const k = part.slice(0, eq).trim();
    const v = unescape(part.slice(eq + 1)).slice(0, 253);
    if (!v) continue;
    if (k === 'k8s.node' || k === 'k8s.nodeName') out.node = v;
    else if (k === 'k8s.namespace') out.namespace = v;
    else if (k === 'k8s.podName' || k === 'k8s.pod') out.pod = v;
    else if (k === 'k8s.containerName' || k === 'k8s.container') out.container = v;
    else continue;
    any = true;
  }
  return any && (out.pod || out.node) ? out : null;
}

/** The capture point name of such an interface: `namespace/pod/container` (what is known of it). */
export function gadgetPointName(c: GadgetContext): string {
  const pod = [c.namespace, c.pod].filter(Boolean).join('/');
  return [pod || c.node, c.container].filter(Boolean).join('/');
}
