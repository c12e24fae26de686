// Instance types per zone, and capacity per zone. moto keeps EC2's instance type offerings per zone
// (moto/ec2/resources/instance_type_offerings/availability-zone/<region>.json.gz) and answers
// DescribeInstanceTypeOfferings from them, but its RunInstances does not check the subnet's zone. EC2 does: a type
// not offered in the zone is refused with `Unsupported` ("The specified request is unsupported. For example, you might
// be trying to launch an instance in an Availability Zone that currently has constraints on that instance type",
// EC2 API reference, Error codes, https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html), and a
// zone without capacity for the type answers `InsufficientInstanceCapacity` (a server error, 500, same page).
// moto offers t4g.small and t3.small in both seeded zones (us-east-1a, us-east-1b), so a test withholds a type in a
// zone (`withheld`), which both DescribeInstanceTypeOfferings and RunInstances then honour, or takes a zone's
// capacity away (`noCapacity`).
import { DescribeInstanceTypeOfferingsCommand, DescribeSubnetsCommand, type EC2Client } from '@aws-sdk/client-ec2';

export interface ZoneRules {
  /** `zone/type` pairs EC2 does not offer, on top of what moto does not offer. */
  withheld: Set<string>;
  /** Zones that have no capacity for any type. */
  noCapacity: Set<string>;
}

export interface Refusal {
  code: string;
  message: string;
  status: number;
}

/** What EC2 answers a RunInstances for this type in this subnet's zone, when it refuses it. */
export async function zoneRefusal(
  ec2: EC2Client,
  form: URLSearchParams,
  rules: ZoneRules,
): Promise<Refusal | undefined> {
  const subnetId = form.get('SubnetId');
  const type = form.get('InstanceType');
  if (!subnetId || !type) return undefined;
  const zone = (await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] })).catch(() => undefined))
    ?.Subnets?.[0]?.AvailabilityZone;
  if (!zone) return undefined; // moto answers an unknown subnet itself
  // Where EC2 offers the type in this region: its refusals name those zones as the ones to choose instead.
  const offeredIn = (
    (
      await ec2.send(
        new DescribeInstanceTypeOfferingsCommand({
          LocationType: 'availability-zone',
          Filters: [{ Name: 'instance-type', Values: [type] }],
        }),
      )
    ).InstanceTypeOfferings ?? []
  )
    .map((o) => o.Location ?? '')
    .filter((z) => z !== '' && !rules.withheld.has(`${z}/${type}`))
    .sort();
  const offered = offeredIn.includes(zone);
  const others = offeredIn.filter((z) => z !== zone).join(', ') || 'another Availability Zone';
  if (!offered) {
    // The message EC2 gives, naming the type, the zone and the zones that offer the type, as quoted from RunInstances
    // answers in public issue reports (e.g. "Your requested instance type (t3.micro) is not supported in your requested
    // Availability Zone (us-east-1e). Please retry your request by not specifying an Availability Zone or choosing
    // us-east-1a, us-east-1b, …"); the error code's documentation is the page cited above.
    return {
      code: 'Unsupported',
      message: `Your requested instance type (${type}) is not supported in your requested Availability Zone (${zone}). Please retry your request by not specifying an Availability Zone or choosing ${others}.`,
      status: 400,
    };
  }
  if (rules.noCapacity.has(zone)) {
    return {
      code: 'InsufficientInstanceCapacity',
      message: `We currently do not have sufficient ${type} capacity in the Availability Zone you requested (${zone}). Our system will be working on provisioning additional capacity. You can currently get ${type} capacity by not specifying an Availability Zone in your request or choosing ${others}.`,
      status: 500,
    };
  }
  return undefined;
}

/** A DescribeInstanceTypeOfferings answer from moto (EC2 query XML) without the withheld offerings. */
export function withoutWithheld(xml: string, withheld: ReadonlySet<string>): string {
  if (withheld.size === 0) return xml;
  return xml.replace(/<item>\s*(?:(?!<\/item>)[\s\S])*<\/item>/g, (item) => {
    const type = /<instanceType>([^<]*)<\/instanceType>/.exec(item)?.[1];
    const zone = /<location>([^<]*)<\/location>/.exec(item)?.[1];
    return type && zone && withheld.has(`${zone}/${type}`) ? '' : item;
  });
}
