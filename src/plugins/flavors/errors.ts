/** The flavors service's errors (neutron-lib exceptions/flavors.py; InvalidServiceType from exceptions/__init__.py). */
import { NeutronError } from '../../common/errors.js';

export class FlavorInUse extends NeutronError {
  constructor(flavorId: string) {
    super(409, 'FlavorInUse', `Flavor ${flavorId} is used by some service instance.`);
  }
}

export class ServiceProfileInUse extends NeutronError {
  constructor(profileId: string) {
    super(409, 'ServiceProfileInUse', `Service Profile ${profileId} is used by some service instance.`);
  }
}

export class FlavorServiceProfileBindingExists extends NeutronError {
  constructor(profileId: string, flavorId: string) {
    super(409, 'FlavorServiceProfileBindingExists', `Service Profile ${profileId} is already associated with flavor ${flavorId}.`);
  }
}

export class FlavorServiceProfileBindingNotFound extends NeutronError {
  constructor(profileId: string, flavorId: string) {
    super(404, 'FlavorServiceProfileBindingNotFound', `Service Profile ${profileId} is not associated with flavor ${flavorId}.`);
  }
}

export class ServiceProfileDriverNotFound extends NeutronError {
  constructor(driver: string) {
    super(404, 'ServiceProfileDriverNotFound', `Service Profile driver ${driver} could not be found.`);
  }
}

export class ServiceProfileEmpty extends NeutronError {
  constructor() {
    super(400, 'ServiceProfileEmpty', 'Service Profile needs either a driver or metainfo.');
  }
}

export class ServiceProfileDisabled extends NeutronError {
  constructor() {
    super(503, 'ServiceProfileDisabled', 'Service Profile is not enabled.');
  }
}

export class InvalidServiceType extends NeutronError {
  constructor(serviceType: string) {
    super(400, 'InvalidServiceType', `Invalid service type: ${serviceType}.`);
  }
}
