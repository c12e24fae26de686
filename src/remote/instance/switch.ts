/**
 * The dead-man switch on an instance efsync launched: the instance powers off (and so terminates:
 * InstanceInitiatedShutdownBehavior=terminate) when no run needs it any more, whatever happens to the runner.
 *
 * What the instance keeps in /var/lib/efsync (on the root volume, so it survives a reboot):
 * - `leases/<name>`: each run's deadline (epoch seconds), written when its command starts and removed when it ends;
 *   `leases/launch` is the launching run's deadline, written by the user data and removed by the first success.
 * - `warm-until`: when a successful `keep-warm` run left it warm until (epoch seconds); never moved earlier.
 * - `shutdown-at`: when the switch fires: the latest of every lease still ahead and warm-until plus a minute, at
 *   least a minute from now (so that SSM hears a command's end before the power goes).
 *
 * Concurrent runs on one instance never shorten each other (each one's lease counts until it ends), and once the last
 * run has ended the switch is back at warm-until plus a minute, as the README promises.
 *
 * `shutdown -P +N` lives in systemd's runtime state (logind keeps a scheduled shutdown under /run/systemd, a tmpfs
 * emptied at every boot; shutdown(8), file-hierarchy(7)), so a reboot forgets it. The user data installs a unit,
 * enabled for multi-user.target, that arms it again from `shutdown-at` at every boot; the user data itself runs on the
 * first boot only (cloud-init's scripts-user module runs once per instance; "By default, UserData is run only once
 * during the first instance launch", https://aws.amazon.com/premiumsupport/knowledge-center/execute-user-data-ec2/, as
 * the AWS CDK's UserData documentation quotes it).
 *
 * No value is interpolated into these lines but whole numbers checked by the callers, and the unit has none at all.
 */

export const EFSYNC_DIR = '/var/lib/efsync';
/** When the switch fires, epoch seconds: what the boot unit reads. */
export const SWITCH_FILE = `${EFSYNC_DIR}/shutdown-at`;
export const LEASES_DIR = `${EFSYNC_DIR}/leases`;
export const WARM_FILE = `${EFSYNC_DIR}/warm-until`;
/** The script the boot unit runs: on the root volume, beside the state it reads. */
export const BOOT_SCRIPT = `${EFSYNC_DIR}/arm-at-boot`;
export const UNIT_NAME = 'efsync-switch.service';

/**
 * Defines efsync_arm (arms the switch from the leases and warm-until, dropping leases whose time has passed) and
 * efsync_warm SECONDS (records warm-until, never earlier than it was, and drops the launch lease). One run at a time
 * computes the switch (flock on arm.lock), so two commands ending together cannot leave the earlier answer in force.
 */
export const ARM_FUNCTIONS = [
  'efsync_arm() {',
  `  mkdir -p ${LEASES_DIR}`,
  '  (',
  '    flock 8',
  '    local now due=0 t f',
  '    now=$(date +%s)',
  `    for f in ${LEASES_DIR}/*; do`,
  '      [ -f "$f" ] || continue',
  '      t=$(cat "$f" 2>/dev/null || true)',
  '      case "$t" in \'\' | *[!0-9]*) t=0 ;; esac',
  '      if [ "$t" -le "$now" ]; then rm -f "$f"; elif [ "$t" -gt "$due" ]; then due=$t; fi',
  '    done',
  `    t=$(cat ${WARM_FILE} 2>/dev/null || true)`,
  '    case "$t" in \'\' | *[!0-9]*) t=0 ;; esac',
  '    if [ $((t + 60)) -gt "$due" ]; then due=$((t + 60)); fi',
  '    if [ "$due" -lt $((now + 60)) ]; then due=$((now + 60)); fi',
  `    echo "$due" > ${SWITCH_FILE}`,
  '    shutdown -P "+$(( (due - now + 59) / 60 ))" >/dev/null 2>&1 || true',
  `  ) 8>${EFSYNC_DIR}/arm.lock`,
  '}',
  'efsync_warm() {',
  '  local until t',
  '  until=$(( $(date +%s) + $1 ))',
  `  t=$(cat ${WARM_FILE} 2>/dev/null || true)`,
  '  case "$t" in \'\' | *[!0-9]*) t=0 ;; esac',
  '  if [ "$t" -gt "$until" ]; then until=$t; fi',
  `  echo "$until" > ${WARM_FILE}`,
  `  rm -f ${LEASES_DIR}/launch`,
  '}',
];

/** Run at every boot by the unit: arms the switch kept in SWITCH_FILE again (at least a minute away). */
const BOOT_SCRIPT_TEXT = [
  '#!/bin/bash',
  '# efsync: a pending shutdown does not survive a reboot; arm the one kept on the root volume again.',
  `due=$(cat ${SWITCH_FILE} 2>/dev/null) || exit 0`,
  'case "$due" in \'\' | *[!0-9]*) exit 0 ;; esac',
  'minutes=$(( (due - $(date +%s) + 59) / 60 ))',
  'if [ "$minutes" -lt 1 ]; then minutes=1; fi',
  'exec shutdown -P "+$minutes"',
];

// After logind: shutdown(8) with a time asks systemd-logind to schedule it (org.freedesktop.login1 ScheduleShutdown).
const UNIT_TEXT = [
  '[Unit]',
  'Description=efsync dead-man switch: arm the shutdown kept in /var/lib/efsync/shutdown-at',
  'After=systemd-logind.service',
  '',
  '[Service]',
  'Type=oneshot',
  `ExecStart=/bin/bash ${BOOT_SCRIPT}`,
  '',
  '[Install]',
  'WantedBy=multi-user.target',
];

/**
 * The user data: arms the switch at the run's deadline at once (before anything that could fail), records it as the
 * launch lease and in SWITCH_FILE, and installs the boot unit. `minutes` is a whole number.
 */
export function userData(minutes: number): string {
  if (!Number.isSafeInteger(minutes) || minutes < 1) throw new Error(`bad dead-man switch time: ${minutes}`);
  return [
    '#!/bin/bash',
    `shutdown -P +${minutes}`,
    `mkdir -p ${LEASES_DIR}`,
    `echo $(( $(date +%s) + ${minutes} * 60 )) > ${LEASES_DIR}/launch`,
    `cp ${LEASES_DIR}/launch ${SWITCH_FILE}`,
    `cat > ${BOOT_SCRIPT} <<'EFSYNC_BOOT'`,
    ...BOOT_SCRIPT_TEXT,
    'EFSYNC_BOOT',
    `cat > /etc/systemd/system/${UNIT_NAME} <<'EFSYNC_UNIT'`,
    ...UNIT_TEXT,
    'EFSYNC_UNIT',
    `systemctl enable ${UNIT_NAME}`,
    '',
  ].join('\n');
}
