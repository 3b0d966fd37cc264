"""What a user's script does with openstacksdk against a cloud's network
service, run by test/cli/openstackSdk.test.ts with Debian's
python3-openstacksdk (/usr/bin/python3). The cloud comes from the OS_*
environment, as after sourcing an openrc file; the script prints one JSON
object of what it saw, and the test checks it against the API.
"""
import json
import sys

import openstack
from openstack import exceptions

conn = openstack.connect()
net_api = conn.network
seen = {"endpoint": net_api.get_endpoint()}

network = net_api.create_network(name="sdk-net", description="made by openstacksdk")
seen["network"] = network.to_dict(computed=False)
subnet = net_api.create_subnet(
    network_id=network.id,
    name="sdk-subnet",
    ip_version=4,
    cidr="10.9.0.0/24",
    dns_nameservers=["192.0.2.53"],
)
seen["subnet"] = subnet.to_dict(computed=False)
port = net_api.create_port(
    network_id=network.id,
    name="sdk-port",
    fixed_ips=[{"subnet_id": subnet.id, "ip_address": "10.9.0.10"}],
)
seen["port"] = port.to_dict(computed=False)

seen["networks"] = [n.name for n in net_api.networks()]
seen["networks_by_name"] = [n.id for n in net_api.networks(name="sdk-net")]
seen["subnets_of_network"] = [s.cidr for s in net_api.subnets(network_id=network.id)]
seen["ports_of_network"] = [
    [p.name, [ip["ip_address"] for ip in p.fixed_ips]] for p in net_api.ports(network_id=network.id)
]
seen["found"] = net_api.find_network("sdk-net").id

updated = net_api.update_port(port, name="sdk-port-2")
seen["updated_port_name"] = updated.name
seen["port_revision"] = net_api.get_port(port.id).revision_number

try:
    net_api.delete_subnet(subnet)
    seen["delete_in_use"] = "deleted"
except exceptions.ConflictException as error:
    seen["delete_in_use"] = {"status": error.status_code, "message": str(error)}

try:
    net_api.create_port(network_id=network.id, fixed_ips=[{"subnet_id": subnet.id, "ip_address": "10.9.0.10"}])
    seen["duplicate_address"] = "created"
except exceptions.ConflictException as error:
    seen["duplicate_address"] = {"status": error.status_code, "message": str(error)}

net_api.delete_port(port)
net_api.delete_subnet(subnet)
net_api.delete_network(network)
seen["after_delete"] = {
    "networks": [n.name for n in net_api.networks()],
    "ports": [p.id for p in net_api.ports()],
    "get_network": net_api.find_network(network.id),
}

json.dump(seen, sys.stdout, default=str)
