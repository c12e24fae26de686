// Instances that never run. EC2 can take an instance from pending straight to terminated, and then gives the cause
// as the instance's StateReason, a code and a message: "Instance terminates immediately. Your instance goes from the
// pending state to the terminated state", for instance when "the root EBS volume is encrypted and you do not have
// permissions to access the KMS key for decryption" (EC2 User Guide, Troubleshoot Amazon EC2 instance launch issues,
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/troubleshooting-launch.html#troubleshooting-launch-internal).
// The codes: StateReason in the EC2 API reference,
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_StateReason.html.

/** The StateReason a launch fault gives the instance it ends. */
export interface LaunchFault {
  code: string;
  message: string;
}

/**
 * What EC2 gives when the instance's EBS volume is encrypted with a KMS key the launching role cannot use:
 * `"StateReason": { "Message": "Client.InternalError: Client error on launch", "Code": "Client.InternalError" }`
 * (AWS re:Post Knowledge Center, "Why did my EC2 instance change from pending to stopped…",
 * https://repost.aws/knowledge-center/kms-iam-ec2-permission; the User Guide's solution for
 * "Client.InternalError: Client error on launch": "Ensure that you have the permissions required to access the KMS
 * keys used to decrypt and encrypt volumes").
 */
export const KMS_KEY_UNUSABLE: LaunchFault = {
  code: 'Client.InternalError',
  message: 'Client.InternalError: Client error on launch',
};

const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * Rewrites a DescribeInstances answer from moto (EC2 query XML): an instance a launch fault ended shows the fault's
 * StateReason instead of the Client.UserInitiatedShutdown moto records when the test bed terminates it. Only the
 * text of `<code>` and `<message>` inside that instance's `<stateReason>` changes. The answer is walked tag by tag:
 * moto writes an instance's `<stateReason>` before or after its `<instanceId>`, so only the enclosing
 * `instancesSet/item` ties the two together.
 */
export function withStateReasons(xml: string, reasons: ReadonlyMap<string, LaunchFault>): string {
  if (reasons.size === 0) return xml;
  const path: string[] = [];
  const edits: { from: number; to: number; text: string }[] = [];
  let item: { depth: number; id?: string; code?: [number, number]; message?: [number, number] } | undefined;
  let textStart = 0;
  for (const tag of xml.matchAll(/<(\/?)([A-Za-z][\w.:-]*)[^>]*?(\/?)>/g)) {
    const [whole, closing, name = '', selfClosing] = tag;
    if (selfClosing) continue;
    if (!closing) {
      if (name === 'item' && path.at(-1) === 'instancesSet') item = { depth: path.length };
      path.push(name);
      textStart = tag.index + whole.length;
      continue;
    }
    const within = item ? path.slice(item.depth + 1).join('/') : '';
    const span: [number, number] = [textStart, tag.index];
    if (item && within === 'instanceId') item.id = xml.slice(...span);
    if (item && within === 'stateReason/code') item.code = span;
    if (item && within === 'stateReason/message') item.message = span;
    if (item && path.length - 1 === item.depth) {
      const reason = reasons.get(item.id ?? '');
      if (reason && item.code && item.message) {
        edits.push({ from: item.code[0], to: item.code[1], text: escapeXml(reason.code) });
        edits.push({ from: item.message[0], to: item.message[1], text: escapeXml(reason.message) });
      }
      item = undefined;
    }
    path.pop();
  }
  let out = xml;
  for (const edit of edits.sort((a, b) => b.from - a.from))
    out = out.slice(0, edit.from) + edit.text + out.slice(edit.to);
  return out;
}
