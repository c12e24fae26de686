// AWS's public prices the bench's cost table uses (costs.ts): US East (N. Virginia), on-demand, in USD, each with the
// page it was read from and the date it was read. Prices change: when one does, change it here with its new date.

export interface Price {
  usd: number;
  unit: string;
  source: string;
  /** When the figure was read from its source (YYYY-MM-DD). */
  read: string;
}

export const REGION = 'us-east-1';

/** Lambda, x86, first duration tier (up to 6 billion GB-s a month), and requests. */
export const LAMBDA = {
  // $0.0000166667 per GB-second (x86, first 6 billion GB-s a month, US East (N. Virginia)): the Lambda pricing page's
  // table, https://aws.amazon.com/lambda/pricing/, as https://cloudchipr.com/blog/aws-lambda-pricing quotes it;
  // "How AWS Pricing Works" (https://docs.aws.amazon.com/whitepapers/latest/how-aws-pricing-works/lambda.html) rounds
  // it to $0.00001667. Duration "is calculated from the time your code begins executing until it returns or otherwise
  // terminates, rounded up to the nearest 1 ms", and "Duration charges apply to code that runs in the handler of a
  // function as well as initialization code that is declared outside of the handler" (the pricing page).
  gbSecond: {
    usd: 0.0000166667,
    unit: 'GB-s',
    source: 'https://aws.amazon.com/lambda/pricing/ (x86, first tier, US East (N. Virginia))',
    read: '2026-12-06',
  } satisfies Price,
  // "$0.20 per 1 million requests thereafter, or $0.0000002 per request" ("How AWS Pricing Works", Lambda; the same on
  // the pricing page's examples).
  request: {
    usd: 0.0000002,
    unit: 'request',
    source: 'https://docs.aws.amazon.com/whitepapers/latest/how-aws-pricing-works/lambda.html ($0.20 per 1M requests)',
    read: '2026-12-06',
  } satisfies Price,
};

/**
 * EC2 on-demand, Linux, per instance-hour, for the types the bench launches (its runs ask for t3.small). The on-demand
 * page (https://aws.amazon.com/ec2/pricing/on-demand/) draws its table with a script and the stored copy shows no
 * figure: $0.0208 is the t3.small figure, consistent with AWS's launch price of t3.nano, "$3.796 / month" (730 hours:
 * $0.0052 an hour; each T3 size up doubles it, so t3.small is 4 × $0.0052), as quoted by
 * https://bright-softwares.com/blog/en/aws/amazons-t3-who-should-use-it-when-how-and-the-why. Billed per second with
 * a minimum of 60 s, while the instance is `running` ("Instance state ... pending: Not billed; running: Billed",
 * Amazon EC2 instance state changes, EC2 User Guide).
 */
export const EC2_HOURLY: Record<string, Price> = {
  't3.small': {
    usd: 0.0208,
    unit: 'instance-hour',
    source:
      'https://aws.amazon.com/ec2/pricing/on-demand/ (t3.small, Linux; figure from AWS launch price, see prices.ts)',
    read: '2026-12-06',
  },
};

/**
 * EBS gp3 storage, per GB-month provisioned: "gp3: $0.08/GB-month" in us-east-1
 * (https://c3x.dev/blog/gp2-to-gp3-migration-aws-ebs, against gp2's $0.10, the "up to 20% lower" of AWS's own
 * "Migrate your Amazon EBS volumes from gp2 to gp3", AWS Storage Blog); the EBS pricing page (https://aws.amazon.com/ebs/pricing/) draws its table with a script. "Provisioned
 * storage, provisioned IOPS, and provisioned throughput for gp3 volumes will be billed in per-second increments, with
 * a 60-second minimum", prorated over a 30-day month in its example (the same page for the European Sovereign Cloud,
 * https://aws.eu/ebs/pricing). The baseline 3,000 IOPS and 125 MB/s the action's volume keeps are free.
 */
export const EBS_GP3: Price = {
  usd: 0.08,
  unit: 'GB-month',
  source: 'https://aws.amazon.com/ebs/pricing/ (gp3, US East (N. Virginia); figure from c3x.dev, see prices.ts)',
  read: '2026-12-06',
};

/** The EBS pricing page's month for proration: 30 days. */
export const EBS_MONTH_SECONDS = 30 * 86_400;
/** EC2's and EBS's per-second billing minimum. */
export const MINIMUM_BILLED_SECONDS = 60;

/** Every price, for the table's footnote. */
export function priceList(): [string, Price][] {
  return [
    ['Lambda duration (x86)', LAMBDA.gbSecond],
    ['Lambda requests', LAMBDA.request],
    ...Object.entries(EC2_HOURLY).map(([type, price]) => [`EC2 ${type}`, price] as [string, Price]),
    ['EBS gp3 storage', EBS_GP3],
  ];
}
