#!/bin/bash
# Sluice agent bootstrap for an EC2 GPU host (Amazon Linux 2023; the ECS GPU AMI brings the NVIDIA driver, Docker
# and the NVIDIA container toolkit). This file is the text of the launch template's UserData in template.yaml
# (Fn::Sub): dollar-brace names are CloudFormation substitutions, so shell variables here are written $name, without braces.
# A test (agent: AgentFleetTemplateTest) checks the template carries exactly this text.
set -euo pipefail
exec > >(tee -a /var/log/sluice-agent-bootstrap.log) 2>&1

dnf install -y java-21-amazon-corretto-headless
command -v aws >/dev/null || dnf install -y awscli-2
command -v docker >/dev/null || dnf install -y docker
# Every session gets a bridge network of its own (see the README's isolation notes), and Docker's default address
# pools hold only about 30 of them: give it 256 /24 networks in 10.254.0.0/16, merged into the AMI's daemon.json (it
# configures the NVIDIA runtime), then restart the engine the AMI started.
python3 - <<'PY'
import json, os
path = "/etc/docker/daemon.json"
config = json.load(open(path)) if os.path.exists(path) else dict()
config["default-address-pools"] = [dict(base="10.254.0.0/16", size=24)]
os.makedirs("/etc/docker", exist_ok=True)
json.dump(config, open(path, "w"), indent=2)
PY
systemctl enable docker
systemctl restart docker
# The ECS GPU AMI starts the ECS agent; Sluice schedules this host instead.
systemctl disable --now ecs 2>/dev/null || true

id sluice >/dev/null 2>&1 || useradd --system --home-dir /var/lib/sluice --shell /sbin/nologin sluice
usermod -aG docker sluice
install -d -o root -g root -m 0755 /opt/sluice /etc/sluice
install -d -o sluice -g sluice -m 0750 /var/lib/sluice /var/lib/sluice/work

# The agent jar, read with the instance role (s3:GetObject on this one object).
aws s3 cp --region ${AWS::Region} --only-show-errors "${AgentArtifactUri}" /opt/sluice/sluice-agent.jar
chmod 0644 /opt/sluice/sluice-agent.jar

# The agent id is the instance id, read through IMDSv2 (the launch template requires tokens).
imds_token=$(curl -sf -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 300")
instance_id=$(curl -sf -H "X-aws-ec2-metadata-token: $imds_token" http://169.254.169.254/latest/meta-data/instance-id)
# The group to join: the instance's tag sluice:resource-group (the elastic fleet tags each launch with its group, the
# fixed fleet's Auto Scaling group with AgentResourceGroup; the launch template lets the instance read its tags).
resource_group=$(curl -sf -H "X-aws-ec2-metadata-token: $imds_token" http://169.254.169.254/latest/meta-data/tags/instance/sluice:resource-group || echo "${AgentResourceGroup}")

cat > /etc/sluice/agent.properties <<PROPERTIES
api.endpoint=https://${SluiceApi}.execute-api.${AWS::Region}.amazonaws.com/v1
agent.id=$instance_id
resource.group=$resource_group
auth=iam
aws.region=${AWS::Region}
heartbeat.interval=10s
runtime=docker
work.dir=/var/lib/sluice/work
stop.grace=10s
PROPERTIES
chmod 0644 /etc/sluice/agent.properties

cat > /etc/systemd/system/sluice-agent.service <<'UNIT'
# The Sluice agent on an EC2 GPU host. Installed by user-data.sh (which carries this exact text; a test checks it).
[Unit]
Description=Sluice agent: heartbeats, pulls its sessions and runs them in Docker
After=network-online.target docker.service
Wants=network-online.target
Requires=docker.service

[Service]
Type=simple
User=sluice
Group=sluice
# The agent drives the docker CLI, which needs the docker socket (group docker). Sessions are containers owned by
# dockerd, not children of the agent, so a restart of the agent leaves them running and it finds them again.
SupplementaryGroups=docker
WorkingDirectory=/var/lib/sluice
ExecStart=/usr/bin/java -Xmx96m -XX:+UseSerialGC -jar /opt/sluice/sluice-agent.jar --config /etc/sluice/agent.properties
Restart=always
RestartSec=5
TimeoutStopSec=30
UMask=0077

# Hardening that keeps Docker and the GPUs usable: no PrivateDevices (nvidia-smi opens /dev/nvidia*), no
# MemoryDenyWriteExecute (the JVM's JIT writes code), no PrivateNetwork; the docker socket is reachable under
# ProtectSystem=strict because connecting to a socket is not a write to the file system.
NoNewPrivileges=true
CapabilityBoundingSet=
AmbientCapabilities=
ProtectSystem=strict
ReadWritePaths=/var/lib/sluice
ProtectHome=true
PrivateTmp=true
ProtectKernelTunables=true
ProtectKernelModules=true
ProtectKernelLogs=true
ProtectControlGroups=true
ProtectClock=true
ProtectHostname=true
RestrictSUIDSGID=true
RestrictRealtime=true
RestrictNamespaces=true
LockPersonality=true
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
SystemCallArchitectures=native

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now sluice-agent.service
