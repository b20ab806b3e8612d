import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, FindOptionsWhere } from 'typeorm';
import { PublisherEntity } from './publisher.entity';

@Injectable()
export class PublishersRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  private get repo() {
    return this.db.getRepository(PublisherEntity);
  }

  save(p: Partial<PublisherEntity>): Promise<PublisherEntity> {
    return this.repo.save(p);
  }

  findOne(where: FindOptionsWhere<PublisherEntity>): Promise<PublisherEntity | null> {
    return this.repo.findOneBy(where);
  }

  list(
    where: FindOptionsWhere<PublisherEntity>,
    skip: number,
    take: number,
  ): Promise<[PublisherEntity[], number]> {
    return this.repo.findAndCount({ where, order: { createdAt: 'DESC' }, skip, take });
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const r = await this.repo.delete({ tenantId, id });
    return (r.affected ?? 0) > 0;
  }
}
