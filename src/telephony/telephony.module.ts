// Telnyx at the edge: the Call Control command client (one SDK client for the process) and, on
// instances that serve HTTP, the signed webhook ingress.
import { DynamicModule, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../infra/config/app-config';
import { CallControlService } from './call-control.service';
import { createTelnyxClient, TELNYX_CLIENT, TelnyxHttpAgent } from './telnyx-client';
import { WebhookIngressService } from './webhook-ingress.service';
import { WebhookRoutes } from './webhooks.routes';

@Module({})
export class TelephonyModule {
  /** `ingress`: serve POST /webhooks/telnyx here (api and all roles). */
  static register(options: { ingress: boolean }): DynamicModule {
    return {
      module: TelephonyModule,
      providers: [
        ...(options.ingress ? [WebhookRoutes] : []),
        TelnyxHttpAgent,
        {
          provide: TELNYX_CLIENT,
          inject: [APP_CONFIG, TelnyxHttpAgent],
          useFactory: (c: AppConfig, http: TelnyxHttpAgent) => createTelnyxClient(c, http.agents),
        },
        CallControlService,
        WebhookIngressService,
      ],
      exports: [TELNYX_CLIENT, CallControlService, WebhookIngressService],
    };
  }
}
