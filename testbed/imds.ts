// The instance metadata service of each test bed instance, as IMDSv2 answers (EC2 User Guide, "Use the Instance Metadata
// Service to access instance metadata", https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html,
// and "Retrieve instance metadata", instancedata-data-retrieval.html):
// - PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds, "a minimum of one second and a maximum of six
//   hours (21,600 seconds)", answers a session token; a PUT without it, or with a TTL outside those bounds, is "400 -
//   Bad Request" ("your PUT request is not valid"). A PUT that carries X-Forwarded-For is refused (403): IMDSv2 "will
//   not issue a token" to a request forwarded by a proxy.
// - GET /latest/meta-data/... with X-aws-ec2-metadata-token answers the item; a token that is not valid (expired, or
//   another instance's) is "401 - Unauthorized". Without a token: "401 - Unauthorized" when HttpTokens is required
//   (IMDSv1 is off); the item when it is optional. An unknown item is "404 - Not Found".
// HttpTokens is what RunInstances' MetadataOptions asked for, else the image's default: an AMI whose ImdsSupport is
// v2.0 launches with HttpTokens required (Image.ImdsSupport in botocore's ec2 service-2.json), and AL2023 AMIs are
// published with ImdsSupport v2.0 (AL2023 User Guide, "IMDSv2"). moto records MetadataOptions but says "optional" when
// the launch sent none, so for an AL2023 image the test bed takes "optional" for "none sent": the strict side.
//
// Each instance has a listener of its own on loopback: its address says which instance asks, as 169.254.169.254 does
// on each instance. The test bed cannot answer on 169.254.169.254 itself (its services answer on loopback only);
// sandbox.ts names this endpoint to the instance's scripts with AWS_EC2_METADATA_SERVICE_ENDPOINT.
import { randomBytes } from 'node:crypto';
import http from 'node:http';

export interface InstanceMetadata {
  instanceId: string;
  availabilityZone: string;
  region: string;
  httpTokens: 'required' | 'optional';
}

const MAX_TTL = 21_600;

/** The metadata items served, by path under /latest/meta-data/ (a listing for each folder). */
function items(meta: InstanceMetadata): Record<string, string> {
  return {
    '': 'instance-id\nplacement/',
    'instance-id': meta.instanceId,
    'placement/': 'availability-zone\nregion',
    'placement/availability-zone': meta.availabilityZone,
    'placement/region': meta.region,
  };
}

export class Imds {
  private readonly servers = new Map<string, { server: http.Server; endpoint: string }>();
  private readonly tokens = new Map<string, { instanceId: string; expires: number }>();
  private readonly lookup: (instanceId: string) => Promise<InstanceMetadata | undefined>;

  constructor(lookup: (instanceId: string) => Promise<InstanceMetadata | undefined>) {
    this.lookup = lookup;
  }

  /** The instance's endpoint (http://127.0.0.1:<port>), its listener started the first time. */
  async endpoint(instanceId: string): Promise<string> {
    const known = this.servers.get(instanceId);
    if (known) return known.endpoint;
    const server = http.createServer((req, res) => {
      this.answer(instanceId, req).then(
        ({ status, body }) => {
          res.writeHead(status, { 'content-type': 'text/plain', 'content-length': String(Buffer.byteLength(body)) });
          res.end(body);
        },
        () => {
          res.writeHead(500);
          res.end();
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const address = server.address();
    const endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    this.servers.set(instanceId, { server, endpoint });
    return endpoint;
  }

  close(): void {
    for (const { server } of this.servers.values()) {
      server.closeAllConnections();
      server.close();
    }
    this.servers.clear();
  }

  private async answer(instanceId: string, req: http.IncomingMessage): Promise<{ status: number; body: string }> {
    const url = new URL(req.url ?? '/', 'http://imds');
    if (req.method === 'PUT' && url.pathname === '/latest/api/token') {
      if (req.headers['x-forwarded-for'] !== undefined) return { status: 403, body: 'Forbidden' };
      const ttl = String(req.headers['x-aws-ec2-metadata-token-ttl-seconds'] ?? '');
      if (!/^\d+$/.test(ttl) || Number(ttl) < 1 || Number(ttl) > MAX_TTL) return { status: 400, body: 'Bad Request' };
      const token = randomBytes(32).toString('base64');
      this.tokens.set(token, { instanceId, expires: Date.now() + Number(ttl) * 1000 });
      return { status: 200, body: token };
    }
    if (req.method !== 'GET' || !url.pathname.startsWith('/latest/meta-data/'))
      return { status: 404, body: 'Not Found' };
    const meta = await this.lookup(instanceId);
    if (!meta) return { status: 404, body: 'Not Found' };
    const sent = req.headers['x-aws-ec2-metadata-token'];
    if (sent === undefined) {
      if (meta.httpTokens === 'required') return { status: 401, body: 'Unauthorized' };
    } else {
      const token = this.tokens.get(String(sent));
      if (!token || token.instanceId !== instanceId || token.expires <= Date.now())
        return { status: 401, body: 'Unauthorized' };
    }
    const value = items(meta)[url.pathname.slice('/latest/meta-data/'.length)];
    return value === undefined ? { status: 404, body: 'Not Found' } : { status: 200, body: value };
  }
}
