// The dashboards' static files: our script and stylesheet, and Chart.js from node_modules (served by
// us; the pages never load anything from a CDN).
import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Public } from '../accounts/auth.decorators';
import { notFound } from '../common/errors';
import { projectRoot } from '../common/project-root';
import { dashboardViewsDir } from './view-engine';

const FILES: Record<string, { path: () => string; type: string }> = {
  'chart.umd.min.js': {
    path: () => join(projectRoot(), 'node_modules', 'chart.js', 'dist', 'chart.umd.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
  'dashboard.js': {
    path: () => join(dashboardViewsDir(), 'assets', 'dashboard.js'),
    type: 'text/javascript; charset=utf-8',
  },
  'dashboard.css': {
    path: () => join(dashboardViewsDir(), 'assets', 'dashboard.css'),
    type: 'text/css; charset=utf-8',
  },
};

@ApiExcludeController()
@Public()
@Controller('assets')
export class AssetsController {
  private readonly cache = new Map<string, Buffer>();

  @Get(':name')
  file(@Param('name') name: string, @Res() reply: FastifyReply): void {
    const f = Object.hasOwn(FILES, name) ? FILES[name] : undefined;
    if (!f) throw notFound('Asset');
    let body = this.cache.get(name);
    if (!body) {
      body = readFileSync(f.path());
      this.cache.set(name, body);
    }
    void reply
      .header('content-type', f.type)
      .header('cache-control', 'public, max-age=300')
      .header('x-content-type-options', 'nosniff')
      .send(body);
  }
}
