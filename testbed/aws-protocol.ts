// What an AWS request is (service, operation, key parameters), and how each protocol words an error.
import type { IncomingHttpHeaders } from 'node:http';

export type Protocol = 'ec2' | 'query' | 'json' | 'rest-json' | 'rest-xml';

export interface AwsRequest {
  service: string;
  operation: string;
  protocol: Protocol;
  /** Small, non-secret parameters for the request log. */
  params: Record<string, string>;
  /** The service-model check (conformance.ts): checked, refused, unchecked (not decodable) or off. */
  check?: 'checked' | 'refused' | 'unchecked' | 'off';
}

const PROTOCOLS: Record<string, Protocol> = {
  ec2: 'ec2',
  iam: 'query',
  sts: 'query',
  ssm: 'json',
  elasticfilesystem: 'rest-json',
  lambda: 'rest-json',
  s3: 'rest-xml',
};

/** The service named in the SigV4 credential scope: the Authorization header, or X-Amz-Credential when presigned. */
export function serviceOf(headers: IncomingHttpHeaders, url: URL): string {
  const scope =
    /Credential=[^/,]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(String(headers.authorization ?? ''))?.[1] ??
    /^[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request$/.exec(url.searchParams.get('X-Amz-Credential') ?? '')?.[1];
  return scope ?? 's3'; // an unsigned request can only be an anonymous S3 one
}

// Parameters worth logging: ids, names, types and keys, and the volumes an instance asks for; never bodies, tokens or
// user data.
const LOGGED =
  /^((InstanceId|InstanceIds|ImageId|InstanceType|SubnetId|FileSystemId|AccessPointId|MountTargetId|GroupId|GroupIds|RoleArn|RoleSessionName|DurationSeconds|InstanceProfileName|Name|CommandId|DocumentName|Bucket|Key|Prefix|Filter\.\d+\.Name|Filters|TimeoutSeconds)(\.\d+)?|BlockDeviceMapping\.\d+\.(DeviceName|Ebs\.(VolumeSize|VolumeType|Encrypted|DeleteOnTermination|KmsKeyId)))$/;

function pick(entries: Iterable<[string, unknown]>): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [key, value] of entries) {
    if (!LOGGED.test(key)) continue;
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    if (text !== undefined) params[key] = text.length > 200 ? `${text.slice(0, 197)}...` : text;
  }
  return params;
}

export function describeRequest(
  method: string,
  url: URL,
  headers: IncomingHttpHeaders,
  body: Buffer | undefined,
): AwsRequest {
  // STS's web identity calls are the one unsigned query-protocol request: they carry no credential scope.
  const unsignedSts = !headers.authorization && /^Action=AssumeRoleWith/.test(body?.toString('utf8') ?? '');
  const service = unsignedSts ? 'sts' : serviceOf(headers, url);
  const protocol = PROTOCOLS[service] ?? 'rest-xml';
  if (protocol === 'query' || protocol === 'ec2') {
    const form = new URLSearchParams(body?.toString('utf8') ?? url.search);
    return { service, protocol, operation: form.get('Action') ?? 'Unknown', params: pick(form.entries()) };
  }
  if (protocol === 'json') {
    const target = String(headers['x-amz-target'] ?? '');
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(body?.toString('utf8') || '{}');
    } catch {}
    return { service, protocol, operation: target.split('.').pop() || 'Unknown', params: pick(Object.entries(json)) };
  }
  if (protocol === 'rest-json' && service === 'lambda') {
    const name = /^\/2015-03-31\/functions\/([^/]+)/.exec(url.pathname)?.[1];
    const params: Record<string, string> = name ? { FunctionName: decodeURIComponent(name) } : {};
    return { service, protocol, operation: lambdaOperation(method, url.pathname), params };
  }
  if (protocol === 'rest-json') return { service, protocol, operation: efsOperation(method, url.pathname), params: {} };
  return { service, protocol, ...s3Operation(method, url) };
}

function efsOperation(method: string, path: string): string {
  const routes: [string, RegExp, string][] = [
    ['GET', /\/file-systems$/, 'DescribeFileSystems'],
    ['POST', /\/file-systems$/, 'CreateFileSystem'],
    ['DELETE', /\/file-systems\/[^/]+$/, 'DeleteFileSystem'],
    ['GET', /\/mount-targets$/, 'DescribeMountTargets'],
    ['POST', /\/mount-targets$/, 'CreateMountTarget'],
    ['GET', /\/mount-targets\/[^/]+\/security-groups$/, 'DescribeMountTargetSecurityGroups'],
    ['GET', /\/access-points$/, 'DescribeAccessPoints'],
    ['POST', /\/access-points$/, 'CreateAccessPoint'],
    // botocore's efs service-2.json: /2015-02-01/file-systems/{FileSystemId}/policy, GET, PUT and DELETE.
    ['GET', /\/file-systems\/[^/]+\/policy$/, 'DescribeFileSystemPolicy'],
    ['PUT', /\/file-systems\/[^/]+\/policy$/, 'PutFileSystemPolicy'],
    ['DELETE', /\/file-systems\/[^/]+\/policy$/, 'DeleteFileSystemPolicy'],
  ];
  return routes.find(([m, re]) => m === method && re.test(path))?.[2] ?? `${method} ${path}`;
}

/** The Lambda operation of a request, by method and path (botocore's lambda model, requestUri). */
export function lambdaOperation(method: string, path: string): string {
  const routes: [string, RegExp, string][] = [
    ['GET', /^\/2015-03-31\/functions\/[^/]+\/?$/, 'GetFunction'],
    ['GET', /^\/2015-03-31\/functions\/[^/]+\/configuration$/, 'GetFunctionConfiguration'],
    ['POST', /^\/2015-03-31\/functions\/[^/]+\/invocations$/, 'Invoke'],
    ['POST', /^\/2015-03-31\/functions\/?$/, 'CreateFunction'],
  ];
  return routes.find(([m, re]) => m === method && re.test(path))?.[2] ?? `${method} ${path}`;
}

function s3Operation(method: string, url: URL): { operation: string; params: Record<string, string> } {
  const [bucket = '', ...rest] = url.pathname.slice(1).split('/');
  const key = decodeURIComponent(rest.join('/'));
  const q = url.searchParams;
  const params: Record<string, string> = bucket ? { Bucket: bucket } : {};
  if (key) params.Key = key.length > 200 ? `${key.slice(0, 197)}...` : key;
  if (q.get('prefix')) params.Prefix = q.get('prefix') ?? '';
  const operation = (() => {
    if (!bucket) return 'ListBuckets';
    if (!key) {
      if (method === 'GET')
        return q.has('list-type') ? 'ListObjectsV2' : q.has('uploads') ? 'ListMultipartUploads' : 'ListObjects';
      if (method === 'POST' && q.has('delete')) return 'DeleteObjects';
      return { HEAD: 'HeadBucket', PUT: 'CreateBucket', DELETE: 'DeleteBucket' }[method] ?? `${method} bucket`;
    }
    if (method === 'POST') return q.has('uploads') ? 'CreateMultipartUpload' : 'CompleteMultipartUpload';
    if (method === 'PUT') return q.has('partNumber') ? 'UploadPart' : 'PutObject';
    if (method === 'DELETE') return q.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
    if (method === 'GET' && q.has('uploadId')) return 'ListParts';
    return { GET: 'GetObject', HEAD: 'HeadObject' }[method] ?? `${method} object`;
  })();
  return { operation, params };
}

export interface ErrorReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** An error worded the way the service's protocol words it, so the SDK parses the code as on AWS. */
export function errorReply(protocol: Protocol, code: string, message: string, status: number): ErrorReply {
  const requestId = `testbed-${Math.random().toString(16).slice(2, 10)}`;
  const xml = (text: string) => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
  switch (protocol) {
    case 'json':
      return {
        status,
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId },
        body: JSON.stringify({ __type: code, message }),
      };
    case 'rest-json':
      return {
        status,
        headers: { 'content-type': 'application/json', 'x-amzn-errortype': code, 'x-amzn-requestid': requestId },
        body: JSON.stringify({ ErrorCode: code, Message: message }),
      };
    case 'ec2':
      return {
        status,
        headers: { 'content-type': 'text/xml' },
        body:
          `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${xml(code)}</Code>` +
          `<Message>${xml(message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
      };
    case 'query':
      return {
        status,
        headers: { 'content-type': 'text/xml' },
        body:
          `<ErrorResponse><Error><Type>${status < 500 ? 'Sender' : 'Receiver'}</Type><Code>${xml(code)}</Code>` +
          `<Message>${xml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      };
    default:
      return {
        status,
        headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId },
        body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${xml(code)}</Code><Message>${xml(message)}</Message><RequestId>${requestId}</RequestId></Error>`,
      };
  }
}
